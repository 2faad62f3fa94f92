/**
 * @module action/deferred-embedding-cache — restores the persisted embedding cache only once it pays
 * for itself.
 *
 * Restoring the Actions-cache entry of the embedding cache costs a download and an extraction that
 * grow with the cache (hundreds of MB for a large repository: seconds on every run), while a push
 * that changes a few files often needs few or no new vectors — the store already holds the vectors
 * of every unchanged chunk. Which of the two is cheaper is known only once the run has embedded, so
 * the decision follows the deterministic rule for the ski-rental problem (Karlin, Manasse, Rudolph,
 * Sleator, "Competitive snoopy caching", Algorithmica 3, 1988): keep paying per miss (embedding)
 * until what has been paid equals the one-off price (the estimated restore time), then buy
 * (restore). A run never spends more than about twice what the better of "restore first" and
 * "never restore" would have cost, and a small push never waits for the download.
 *
 * Vectors computed before the restore are kept in memory (bounded) and written into the cache once
 * it is open, so nothing that was embedded is lost to the next run.
 */
import type { Embedder, EmbeddingCache, Logger } from '../core/ports.js';

/** Default bound on vectors held while the cache is not open: 20,000 (≈ 31 MB at 384 dims). */
export const DEFAULT_MAX_BUFFERED = 20_000;

/**
 * Throughput assumed for restoring (and saving) an embedding-cache entry: 50 MB/s for download +
 * zstd + tar on a hosted runner. An assumption, not a measurement of the service: it only sets when
 * the restore starts (see the module comment), never what is restored.
 */
export const ASSUMED_RESTORE_BYTES_PER_SECOND = 50 * 1024 * 1024;

/** Fixed part of a restore (service look-up, archive URL, tar start), ms; an assumption as above. */
export const ASSUMED_RESTORE_FIXED_MS = 1_000;

/** Restore cost when the entry's size is unknown (an entry saved without a size in its key), ms. */
export const UNKNOWN_SIZE_RESTORE_MS = 5_000;

/** Estimated restore time in ms of an entry of `bytes` bytes, per the assumptions above. */
export function estimateRestoreMs(bytes: number | null): number {
  if (bytes === null) return UNKNOWN_SIZE_RESTORE_MS;
  return ASSUMED_RESTORE_FIXED_MS + Math.round((bytes / ASSUMED_RESTORE_BYTES_PER_SECOND) * 1000);
}

/**
 * An `Embedder` that measures the wall time spent in `embedDocuments` (ms), for the restore rule of
 * `DeferredRestoreCache`. Everything else is passed through.
 */
export class MeteredEmbedder implements Embedder {
  /** Milliseconds spent in `embedDocuments` so far. */
  embeddingMs = 0;
  /** Texts embedded by `embedDocuments` so far. */
  textsEmbedded = 0;

  constructor(private readonly inner: Embedder) {}

  get info(): Embedder['info'] {
    return this.inner.info;
  }
  get device(): string {
    return this.inner.device;
  }
  get tokenCounter(): Embedder['tokenCounter'] {
    return this.inner.tokenCounter;
  }
  /** Forwarded: with an off-thread embedder `indexTree` overlaps embedding with chunking and writing. */
  get offThread(): boolean {
    return this.inner.offThread === true;
  }
  get modelDir(): string | undefined {
    return this.inner.modelDir;
  }
  get ready(): Promise<void> | undefined {
    return this.inner.ready;
  }

  async embedDocuments(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    const t0 = performance.now();
    try {
      return await this.inner.embedDocuments(texts, onBatch);
    } finally {
      this.embeddingMs += performance.now() - t0;
      this.textsEmbedded += texts.length;
    }
  }

  embedQuery(text: string): Promise<Float32Array> {
    return this.inner.embedQuery(text);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What `DeferredRestoreCache` needs from its owner. */
export interface DeferredRestoreOptions {
  /**
   * Estimated restore time in ms, or null when there is no entry to restore (the cache then opens
   * at once, empty). Called once, at the first look-up; it may look the entry up remotely.
   */
  readonly restoreCostMs: () => Promise<number | null>;
  /**
   * Restores the entry when `restore` is true, then opens the local cache file. Must not reject on
   * a cache-service failure (that is a warning and an empty cache).
   */
  readonly open: (restore: boolean) => Promise<EmbeddingCache>;
  /**
   * The least any restore costs, ms (default 0): until embedding has cost this much, the restore
   * cost is not even asked for (no look-up at the cache service).
   */
  readonly minRestoreMs?: number;
  /** Milliseconds spent embedding in this run so far (e.g. `MeteredEmbedder.embeddingMs`). */
  readonly embeddingMs: () => number;
  /** Most vectors held in memory while the cache is not open; default `DEFAULT_MAX_BUFFERED`. */
  readonly maxBuffered?: number;
  readonly logger: Logger;
}

/** Where a `DeferredRestoreCache` stands. */
export type DeferredCacheState =
  | 'deferred' // not opened yet: look-ups miss, vectors are buffered
  | 'restored' // the entry was restored and the cache opened
  | 'fresh'; // there was no entry: an empty cache was opened at once

/**
 * `EmbeddingCache` that opens (and restores) the real cache only once the run has spent as long
 * embedding as the restore is estimated to take. See the module comment.
 */
export class DeferredRestoreCache implements EmbeddingCache {
  private inner: EmbeddingCache | null = null;
  private opening: Promise<void> | null = null;
  private costMs: number | null | undefined = undefined;
  private costLookup: Promise<number | null> | null = null;
  private readonly buffered = new Map<string, Float32Array>();
  private readonly maxBuffered: number;
  private ownMisses = 0;
  /** Vectors dropped because the buffer was full (they are embedded again by a later run). */
  droppedFromBuffer = 0;
  /** See `DeferredCacheState`. */
  state: DeferredCacheState = 'deferred';

  constructor(private readonly options: DeferredRestoreOptions) {
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  }

  /** Hits and misses of every look-up, before and after the cache was opened. */
  get stats(): { hits: number; misses: number } {
    const inner = this.inner?.stats ?? { hits: 0, misses: 0 };
    return { hits: inner.hits, misses: inner.misses + this.ownMisses };
  }

  /**
   * The estimated restore time (ms) once known; null when there was no entry (or no cache service);
   * undefined while not looked up (embedding has cost less than `minRestoreMs`).
   */
  get estimatedRestoreMs(): number | null | undefined {
    return this.costMs;
  }

  /** Whether the real cache is open (restored or fresh): only then is there anything to save. */
  get opened(): boolean {
    return this.inner !== null;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    await this.maybeOpen();
    if (this.inner) return this.inner.getMany(keys);
    this.ownMisses += new Set(keys).size;
    return new Map();
  }

  async putMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (this.inner) return this.inner.putMany(entries);
    for (const [key, vector] of entries) {
      if (this.buffered.size >= this.maxBuffered && !this.buffered.has(key)) {
        this.droppedFromBuffer++;
        continue;
      }
      this.buffered.set(key, vector);
    }
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    this.buffered.clear();
    await this.inner?.close();
  }

  private async maybeOpen(): Promise<void> {
    if (this.inner) return;
    if (this.opening) return this.opening;
    if (this.costMs === undefined) {
      if (this.costLookup === null && this.options.embeddingMs() < (this.options.minRestoreMs ?? 0)) return;
      this.costLookup ??= this.options.restoreCostMs();
      const cost = await this.costLookup;
      this.costMs = cost;
      // Another look-up may have started opening while this one waited for the estimate.
      if (this.inner) return;
      if (this.opening) return this.opening;
    }
    const spent = this.options.embeddingMs();
    if (this.costMs === null) {
      this.opening = this.openNow(false);
    } else if (spent >= this.costMs) {
      this.options.logger.info(
        `embedding cache: ${Math.round(spent)} ms spent embedding, as long as its restore is estimated to take (${this.costMs} ms): restoring it now`,
      );
      this.opening = this.openNow(true);
    } else {
      return;
    }
    return this.opening;
  }

  private async openNow(restore: boolean): Promise<void> {
    const cache = await this.options.open(restore);
    if (this.buffered.size > 0) await cache.putMany([...this.buffered]);
    this.buffered.clear();
    this.inner = cache;
    this.state = restore ? 'restored' : 'fresh';
  }
}
