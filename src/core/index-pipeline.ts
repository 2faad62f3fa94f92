/**
 * The indexing pipeline (DESIGN.md, "Indexing"): plan → filter → chunk → (cache | store | embedder)
 * → upsert → delete stale → state `complete`.
 *
 * Invariants:
 * - State is written `complete` (with the new commit) only after every upsert and delete of the run
 *   succeeded. A run that dies anywhere leaves the previous complete commit in force; the next run
 *   re-plans from it (or from content hashes) and converges to what a full index would build.
 * - Per file, new points are upserted before the file's stale points are deleted, so a file is never
 *   missing from search in between.
 * - A chunk is embedded only if neither the embedding cache nor the store already has a vector for
 *   its content hash; identical chunks within a batch are embedded once.
 * - A file renamed without a content change is not chunked again when the store holds its old path's
 *   chunks with their scope lines: they are rebuilt with the new path (core/reuse-chunks), checked
 *   point by point; a full run (`full`, or a chunker/model change) always chunks.
 * - A file that went away is dropped only after every batch holding a file with one of its stored
 *   contents is written, so a renamed file's content is never missing from search. With an
 *   off-thread embedder the drops are done as soon as that holds once every batch is chunked, while
 *   the remaining batches are embedded (this thread would wait idle otherwise).
 *
 * @module core/index-pipeline
 */
import { ChunkError, describeError, FileTooLargeError } from './errors.js';
import { classifyFile, DEFAULT_MAX_FILE_BYTES, FILE_FILTER_VERSION } from './file-filter.js';
import { dirsOf, embeddingCacheKey, pointId, sha256Hex, spaceLabel } from './identity.js';
import { planChanges, type ChangePlan } from './plan-changes.js';
import { rebuildRenamedChunks } from './reuse-chunks.js';
import type {
  Chunker,
  EmbeddingCache,
  Embedder,
  FileChange,
  Logger,
  ProgressReporter,
  SourceReader,
  StoredChunk,
  VectorStore,
} from './ports.js';
import {
  emptyCounts,
  type Chunk,
  type SourceFile,
  type IndexCounts,
  type IndexState,
  type Point,
  type RefScope,
  type SkipReason,
} from './types.js';

/** Collaborators of one run; entry points wire adapters into this. */
export interface IndexDeps {
  readonly reader: SourceReader;
  readonly chunker: Chunker;
  /** Null builds a lexical-only index (no vectors). Must match `store.space`. */
  readonly embedder: Embedder | null;
  /** Null disables the embedding cache. */
  readonly cache: EmbeddingCache | null;
  readonly store: VectorStore;
  readonly logger: Logger;
  readonly progress?: ProgressReporter;
  /** Wall clock, injectable for tests. */
  readonly now?: () => Date;
  /**
   * A second diff source, asked when `reader.diff` returns null (base commit not in the local git
   * objects: shallow clone, force push). Same contract as `SourceReader.diff`: the changes from
   * `base` to `head`, or null when it cannot tell (then the run plans by content hash). The action
   * passes the GitHub compare API here (DESIGN.md, Indexing: local git → compare API → scan).
   */
  readonly remoteDiff?: (base: string, head: string) => Promise<FileChange[] | null>;
}

/** How to plan the run. */
export type PlanSource =
  /** Compare every file's content hash with what the store holds (works for any tree, dirty or not). */
  | 'scan'
  /** Diff the last complete commit with `commit` (falls back to `scan` when the base is unavailable). */
  | 'diff';

/** Options of one run. */
/**
 * Default files per pipeline batch. The chunks, texts and vectors of a batch live for seconds, long
 * enough to be promoted to V8's old space, which V8 then grows rather than collects: on the Go
 * standard library with the synthetic MiniLM loaded, peak RSS was ≈ 620 MB with 200 files per batch
 * and ≈ 435 MB with 50, in the same time (`codeidx index … --files-per-batch N`, VmHWM; BENCHMARKS.md §6).
 */
export const DEFAULT_FILES_PER_BATCH = 50;

/**
 * Batches a run aims for when the embedder works off this thread (`Embedder.offThread`), and the
 * fewest files such a batch holds. This thread waits at the end for the last batch's vectors and
 * then writes it; the pipeline's tail is one batch, so a small run is cut into several small batches
 * instead of one or two of `filesPerBatch`. On the action benchmark's
 * rename push (81 files, 2,100 chunks) two batches of 50 + 31 left the worker idle while the first
 * batch was chunked and this thread idle while it was embedded (BENCHMARKS.md §8).
 */
export const OVERLAP_TARGET_BATCHES = 8;
/** Fewest files in a batch of an overlapped run (see `OVERLAP_TARGET_BATCHES`). */
export const OVERLAP_MIN_FILES_PER_BATCH = 8;

/**
 * Most batches chunked ahead of the one being written when the embedder works off this thread: the
 * embedder always has the next batches queued instead of waiting while this thread writes. With one
 * batch in flight, the rename push of the action benchmark (8 batches; chunks rebuilt from the store,
 * so chunking is cheap) left the worker idle between batches while this thread wrote, and this
 * thread idle while the worker embedded. Bounds memory to this many batches of chunks and vectors:
 * peak RSS of the §6 benchmark (Go standard library, MiniLM-size model in the worker) measured 625 MB
 * with 4, 595 and 608 MB with 2, 615 MB with 1 (one batch in flight, as before) — within its noise.
 */
export const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Files per batch for a run of `total` files: `filesPerBatch` when the embedder runs in this thread;
 * with an off-thread embedder, `ceil(total / OVERLAP_TARGET_BATCHES)` clamped to
 * [`OVERLAP_MIN_FILES_PER_BATCH`, `filesPerBatch`] — so large runs keep `filesPerBatch` (memory
 * bound) and small ones are split into about `OVERLAP_TARGET_BATCHES` batches.
 */
export function batchSizeFor(total: number, filesPerBatch: number, overlap: boolean): number {
  if (!overlap) return filesPerBatch;
  const spread = Math.ceil(total / OVERLAP_TARGET_BATCHES);
  return Math.max(1, Math.min(filesPerBatch, Math.max(OVERLAP_MIN_FILES_PER_BATCH, spread)));
}

/**
 * Most content skips recorded in the index state (`IndexState.contentSkips`): bounds the state's
 * JSON (~100 bytes a path). Skips beyond it are not recorded, so those files are read again next run.
 */
export const MAX_CONTENT_SKIPS = 50_000;

export interface IndexOptions {
  readonly scope: RefScope;
  /** Commit being indexed (40 hex), or null for a plain directory. */
  readonly commit: string | null;
  /** Re-chunk every file (vectors still come from the cache/store by content hash). */
  readonly full?: boolean;
  /** Default `scan`. */
  readonly planSource?: PlanSource;
  /** Bytes above which a file is skipped as 'too-large'. Default 1 MiB. */
  readonly maxFileBytes?: number;
  /**
   * Most files read, chunked and written together; bounds memory. Default `DEFAULT_FILES_PER_BATCH`
   * (50). With an off-thread embedder a small run uses smaller batches (`batchSizeFor`).
   */
  readonly filesPerBatch?: number;
  /** Points per `store.upsert` call. Default 512. */
  readonly upsertBatchSize?: number;
  /**
   * Compact the store after the run (`VectorStore.optimize`, when the store has it). Default: only
   * after a full run (`full`, or a chunker or model change). The action also asks for it on its
   * scheduled and manual repair runs; pushes never do, so that their latency stays flat.
   */
  readonly optimize?: boolean;
}

/** Milliseconds spent in each phase of a run. */
export interface PhaseTimings {
  plan: number;
  chunk: number;
  embed: number;
  write: number;
}

/** What a run did. */
export interface IndexReport {
  readonly scope: RefScope;
  readonly commit: string | null;
  /** How the plan was made: from a git diff, a content-hash scan, or a forced full pass. */
  readonly plannedBy: 'diff' | 'scan' | 'full';
  readonly counts: IndexCounts;
  readonly timings: PhaseTimings;
  readonly durationMs: number;
  /** Up to 50 example skipped paths per reason, for reports and annotations. */
  readonly skippedExamples: Partial<Record<SkipReason, string[]>>;
}

const EXAMPLES_PER_REASON = 50;

/**
 * Indexes the tree of `deps.reader` into `deps.store` for `options.scope`.
 *
 * @throws EmbeddingError, VectorStoreError — fatal: the state keeps its previous complete commit.
 *   Per-file problems (unreadable, binary, chunk errors) are counted as skips, never thrown.
 */
export async function indexTree(deps: IndexDeps, options: IndexOptions): Promise<IndexReport> {
  const { reader, chunker, embedder, cache, store, logger, progress } = deps;
  const now = deps.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const timings: PhaseTimings = { plan: 0, chunk: 0, embed: 0, write: 0 };
  const counts = emptyCounts();
  const examples: Partial<Record<SkipReason, string[]>> = {};
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const filesPerBatch = options.filesPerBatch ?? DEFAULT_FILES_PER_BATCH;
  const upsertBatchSize = options.upsertBatchSize ?? 512;
  const { scope } = options;

  const countSkip = (path: string, reason: SkipReason): void => {
    counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1;
    const list = (examples[reason] ??= []);
    if (list.length < EXAMPLES_PER_REASON) list.push(path);
  };

  if (embedder && store.space && embedder.info.dims !== store.space.dims) {
    throw new Error(`embedder dims ${embedder.info.dims} differ from the store's ${store.space.dims}`);
  }
  const space = store.space;
  const model = spaceLabel(space);

  // ---- 1. Plan -------------------------------------------------------------------------------
  // Content skips of this commit: carried over unread, plus those found while reading
  // (the content filter, and files over the size limit when the listing did not measure sizes).
  const contentSkips: Record<string, SkipReason> = {};
  let contentSkipsCount = 0;
  const recordContentSkip = (path: string, reason: SkipReason): void => {
    if (contentSkipsCount >= MAX_CONTENT_SKIPS) return;
    contentSkips[path] = reason;
    contentSkipsCount++;
  };
  const previous = await store.getState(scope);
  const stateBase = {
    repo: scope.repo,
    ref: scope.ref,
    commit: previous?.commit ?? null,
    model: previous?.model ?? model,
    chunkerVersion: previous?.chunkerVersion ?? chunker.version,
    counts: previous?.counts ?? emptyCounts(),
    completedAt: previous?.completedAt ?? null,
    ...(previous?.contentSkips ? { contentSkips: previous.contentSkips } : {}),
  };
  await store.putState({
    ...stateBase,
    status: 'in_progress',
    pendingCommit: options.commit,
    startedAt: started.toISOString(),
  });

  const forcedFull =
    options.full === true ||
    (previous !== null && (previous.chunkerVersion !== chunker.version || previous.model !== model));
  if (forcedFull && !options.full && previous) {
    logger.info(
      `index was built with chunker v${previous.chunkerVersion} / ${previous.model}; re-chunking every file (chunker v${chunker.version} / ${model})`,
    );
  }

  // The git diff walks objects while the listing waits on the file system: started together.
  const head = options.commit;
  const diffBase = !forcedFull && options.planSource === 'diff' && head ? (previous?.commit ?? null) : null;
  const localDiff = diffBase && head ? reader.diff(diffBase, head) : null;
  localDiff?.catch(() => undefined); // awaited below; keeps a failure during the listing handled
  // A diff plan reads only the changed files: sizes are checked when they are read (`readFile`
  // throws FileTooLargeError), which spares one lstat per listed file. Not when the size limit
  // changed since the last run: an unchanged file now over it must leave the index, and only its
  // size tells.
  const sameSizeLimit = previous?.contentSkips?.maxFileBytes === maxFileBytes;
  const listing = await reader.listFiles(diffBase && sameSizeLimit ? { sizes: false } : {});
  for (const skipped of listing.skipped) countSkip(skipped.path, skipped.reason);
  counts.filesSeen = listing.files.length;
  const indexed = await store.indexedFiles(scope);

  let plan: ChangePlan | null = null;
  let plannedBy: IndexReport['plannedBy'] = forcedFull ? 'full' : 'scan';
  if (diffBase && localDiff && head) {
    let changes = await localDiff;
    if (!changes && deps.remoteDiff) {
      logger.info(
        `base commit ${diffBase.slice(0, 12)} is not available locally; asking the remote diff source`,
      );
      changes = await deps.remoteDiff(diffBase, head);
    }
    if (changes) {
      const skips = previous?.contentSkips;
      const carry =
        skips?.maxFileBytes === maxFileBytes && skips.filterVersion === FILE_FILTER_VERSION
          ? skips.paths
          : null;
      plan = planChanges({
        mode: 'diff',
        changes,
        listed: listing.files.map((f) => f.path),
        previous: indexed,
        ...(carry ? { previousSkips: new Map(Object.entries(carry)) } : {}),
      });
      plannedBy = 'diff';
    } else {
      logger.info(`no diff from base commit ${diffBase.slice(0, 12)} is available; planning by content hash`);
    }
  }
  if (!plan) {
    const current = new Map<string, string>();
    progress?.start('hashing', listing.files.length);
    for (const entry of listing.files) {
      try {
        current.set(entry.path, sha256Hex(await reader.readFile(entry.path)));
      } catch (error) {
        if (error instanceof FileTooLargeError) {
          countSkip(entry.path, 'too-large');
          recordContentSkip(entry.path, 'too-large');
          progress?.tick();
          continue;
        }
        countSkip(entry.path, 'unreadable');
        logger.warn(`cannot read ${entry.path}: ${describeError(error)}`);
      }
      progress?.tick();
    }
    progress?.stop();
    plan = planChanges({ mode: 'scan', current, previous: indexed, full: forcedFull });
  }
  counts.filesUnchanged = plan.unchanged;
  for (const { path, reason } of plan.carriedSkips) {
    countSkip(path, reason);
    recordContentSkip(path, reason);
  }
  timings.plan = performance.now() - t0;
  logger.info(
    `plan (${plannedBy}): ${plan.index.length} files to index, ${plan.drop.length} to drop, ${plan.unchanged} unchanged`,
  );

  // ---- 2..4. Filter, chunk, embed, write — in batches of files --------------------------------
  // With an embedder that works off this thread (`Embedder.offThread`, e.g. WorkerEmbedder), up to
  // `MAX_BATCHES_IN_FLIGHT` batches are chunked ahead: batch k is embedded while this thread chunks
  // later batches and writes earlier ones. Writes keep batch order, and per file the upsert still
  // precedes the stale-point delete.
  // Phase timings are this thread's: `embed` is the cache/store look-ups plus the time spent waiting
  // for vectors (all of the embedding when the embedder runs in this thread).
  const overlap = embedder?.offThread === true;
  const toDrop = new Set(plan.drop);
  // Rename targets whose chunks may be rebuilt from the old path's (never in a full run: it repairs).
  const renamedFrom = new Map(forcedFull ? [] : plan.renames.map((r) => [r.to, r.from] as const));
  type Prepared = {
    readonly paths: number;
    readonly fileChunks: Map<string, { chunks: Chunk[]; fileHash: string; language: string }>;
    readonly vectors: Promise<Map<string, Float32Array>>;
  };

  /** Reads, filters and chunks one batch of files (this thread; the chunker may use workers). */
  const chunkBatch = async (batchPaths: readonly string[]) => {
    const tChunk = performance.now();
    const fileChunks = new Map<string, { chunks: Chunk[]; fileHash: string; language: string }>();
    // Chunking is started without awaiting, so that a chunker running in worker threads
    // (WorkerPoolChunker) chunks while this thread reads and classifies the next files; the batch
    // is awaited as a whole, and results are taken in path order (deterministic point order).
    const chunking: Array<{ file: SourceFile; result: Promise<Chunk[] | ChunkError> }> = [];
    const sources = batchPaths.flatMap((p) => renamedFrom.get(p) ?? []);
    let stored = new Map<string, StoredChunk[]>();
    if (sources.length > 0) {
      try {
        stored = await store.chunksOfPaths(scope, sources);
      } catch (error) {
        // Only a shortcut: without it the renamed files are chunked like any other.
        logger.warn(`cannot read the stored chunks of renamed files; chunking them: ${describeError(error)}`);
      }
    }
    // Every file of the batch is read at once (at most `filesPerBatch` files in memory): awaited one
    // by one, each read's realpath, stat, open, read and close went through the thread pool in turn
    // — about 1 ms a file on a busy 2-core runner.
    const reads = batchPaths.map((path) => {
      const read = reader.readFile(path);
      read.catch(() => undefined); // awaited in order below
      return read;
    });
    for (const [i, path] of batchPaths.entries()) {
      let bytes: Uint8Array;
      try {
        bytes = await reads[i];
      } catch (error) {
        if (error instanceof FileTooLargeError) {
          countSkip(path, 'too-large');
          recordContentSkip(path, 'too-large');
          if (indexed.has(path)) toDrop.add(path);
          continue;
        }
        countSkip(path, 'unreadable');
        logger.warn(`cannot read ${path}: ${describeError(error)}`);
        if (indexed.has(path)) toDrop.add(path);
        continue;
      }
      const verdict = classifyFile(path, bytes, { maxFileBytes });
      if (verdict.kind === 'skip') {
        countSkip(path, verdict.reason);
        recordContentSkip(path, verdict.reason);
        if (indexed.has(path)) toDrop.add(path);
        continue;
      }
      const from = renamedFrom.get(path);
      const rebuilt =
        from === undefined ? null : rebuildRenamedChunks(scope, from, stored.get(from) ?? [], verdict.file);
      if (rebuilt) {
        counts.filesReused++;
        chunking.push({ file: verdict.file, result: Promise.resolve(rebuilt) });
        continue;
      }
      const result = chunker.chunk(verdict.file).catch((error: unknown) => {
        if (error instanceof ChunkError) return error;
        throw error;
      });
      // Handled below; keeps an early fatal error from being reported as unhandled meanwhile.
      result.catch(() => undefined);
      chunking.push({ file: verdict.file, result });
    }
    const outcomes = await Promise.allSettled(chunking.map((c) => c.result));
    const fatal = outcomes.find((o) => o.status === 'rejected');
    if (fatal) throw fatal.reason;
    chunking.forEach(({ file }, i) => {
      const outcome = (outcomes[i] as PromiseFulfilledResult<Chunk[] | ChunkError>).value;
      if (outcome instanceof ChunkError) {
        countSkip(file.path, 'chunk-error');
        logger.warn(describeError(outcome));
        if (indexed.has(file.path)) toDrop.add(file.path);
        return;
      }
      fileChunks.set(file.path, { chunks: outcome, fileHash: file.fileHash, language: file.language });
    });
    timings.chunk += performance.now() - tChunk;
    return fileChunks;
  };

  /** Resolves a vector for every distinct content hash of a batch: cache → store → embedder. */
  const resolveVectors = async (fileChunks: Prepared['fileChunks']): Promise<Map<string, Float32Array>> => {
    const vectors = new Map<string, Float32Array>();
    if (!embedder || !space) return vectors;
    const textByHash = new Map<string, string>();
    for (const { chunks } of fileChunks.values())
      for (const c of chunks) textByHash.set(c.contentHash, c.embedText);
    let missing = [...textByHash.keys()];
    if (cache && missing.length > 0) {
      const keyOf = new Map(missing.map((h) => [embeddingCacheKey(space, h), h]));
      const found = await cache.getMany([...keyOf.keys()]);
      for (const [key, vector] of found) vectors.set(keyOf.get(key)!, vector);
      counts.cacheHits += found.size;
      missing = missing.filter((h) => !vectors.has(h));
    }
    if (missing.length > 0) {
      const fromStore = await store.vectorsByContentHash(missing);
      for (const [hash, vector] of fromStore) vectors.set(hash, vector);
      counts.storeHits += fromStore.size;
      if (cache && fromStore.size > 0) {
        await cache.putMany([...fromStore].map(([h, v]) => [embeddingCacheKey(space, h), v] as const));
      }
      missing = missing.filter((h) => !vectors.has(h));
    }
    if (missing.length > 0) {
      const embedded = await embedder.embedDocuments(missing.map((h) => textByHash.get(h)!));
      missing.forEach((hash, i) => vectors.set(hash, embedded[i]));
      counts.embedded += missing.length;
      if (cache)
        await cache.putMany(missing.map((h, i) => [embeddingCacheKey(space, h), embedded[i]] as const));
    }
    return vectors;
  };

  /** Waits for a batch's vectors (counted as embed time), then upserts it and deletes stale points. */
  const writeBatch = async (batch: Prepared): Promise<void> => {
    const tWait = performance.now();
    const vectors = await batch.vectors;
    timings.embed += performance.now() - tWait;
    const tWrite = performance.now();
    const points: Point[] = [];
    const keepByPath = new Map<string, Set<string>>();
    for (const [path, { chunks, fileHash, language }] of batch.fileChunks) {
      const keep = new Set<string>();
      const dirs = dirsOf(path);
      for (const c of chunks) {
        const id = pointId(scope, path, c.ordinal, c.contentHash);
        keep.add(id);
        points.push({
          id,
          repo: scope.repo,
          ref: scope.ref,
          commit: options.commit,
          path,
          dirs,
          language,
          symbol: c.symbol,
          symbolKind: c.symbolKind,
          startLine: c.startLine,
          endLine: c.endLine,
          contentHash: c.contentHash,
          fileHash,
          text: c.code,
          scope: c.scope,
          ordinal: c.ordinal,
          vector: space ? (vectors.get(c.contentHash) ?? null) : null,
        });
      }
      keepByPath.set(path, keep);
      counts.chunks += chunks.length;
      counts.filesIndexed++;
    }
    for (let i = 0; i < points.length; i += upsertBatchSize) {
      await store.upsert(points.slice(i, i + upsertBatchSize));
    }
    counts.pointsUpserted += points.length;
    for (const [path, keep] of keepByPath) {
      if (!indexed.has(path)) continue; // a new file has no stale points
      const deleted = await store.deleteByPath(scope, [path], keep);
      if (deleted > 0) counts.pointsDeleted += deleted;
    }
    timings.write += performance.now() - tWrite;
    progress?.tick(batch.paths);
  };

  /** Indexed paths whose points this run deleted as files that went away. */
  const dropped = new Set<string>();
  /** Deletes the points of `paths` (indexed files that went away); timed as write. */
  const dropFiles = async (paths: readonly string[]): Promise<void> => {
    if (paths.length === 0) return;
    const tDrop = performance.now();
    const deleted = await store.deleteByPath(scope, paths);
    if (deleted > 0) counts.pointsDeleted += deleted;
    for (const p of paths) dropped.add(p);
    timings.write += performance.now() - tDrop;
  };

  progress?.start('indexing', plan.index.length);
  // Batches chunked and handed to the embedder but not written yet, oldest first.
  const inFlight: Prepared[] = [];
  /**
   * Drops the files that went away whose stored contents are in no batch still to write (a rename
   * into such a batch waits until it is written); with an off-thread embedder this runs while the
   * remaining batches are embedded, when this thread would wait anyway.
   */
  const dropSettled = async (): Promise<void> => {
    const pending = new Set(inFlight.flatMap((b) => [...b.fileChunks.values()].map((f) => f.fileHash)));
    await dropFiles(
      [...toDrop]
        .filter((p) => !dropped.has(p) && indexed.get(p)?.every((hash) => !pending.has(hash)) === true)
        .sort(),
    );
  };
  try {
    const batchSize = batchSizeFor(plan.index.length, filesPerBatch, overlap);
    const depth = overlap ? MAX_BATCHES_IN_FLIGHT : 1;
    for (let start = 0; start < plan.index.length; start += batchSize) {
      const batchPaths = plan.index.slice(start, start + batchSize);
      const fileChunks = await chunkBatch(batchPaths);
      const vectors = resolveVectors(fileChunks);
      vectors.catch(() => undefined); // awaited by writeBatch; a failure meanwhile is not unhandled
      inFlight.push({ paths: batchPaths.length, fileChunks, vectors });
      // Sequentially, the batch is written at once (writeBatch waits for its vectors, timed as embed).
      if (inFlight.length >= depth) await writeBatch(inFlight.shift()!);
    }
    while (inFlight.length > 0) {
      await dropSettled();
      await writeBatch(inFlight.shift()!);
    }
  } finally {
    // After a failure, the batches still being embedded are awaited, so that no embedding or cache
    // write of this run outlives the run.
    await Promise.all(inFlight.map((b) => b.vectors.catch(() => undefined)));
  }
  progress?.stop();

  // ---- Drop files that went away (after every upsert) -----------------------------------------
  await dropFiles([...toDrop].filter((p) => indexed.has(p) && !dropped.has(p)).sort());
  counts.filesDropped = dropped.size;

  // ---- 5. State complete ----------------------------------------------------------------------
  const finished = now();
  const state: IndexState = {
    repo: scope.repo,
    ref: scope.ref,
    commit: options.commit,
    pendingCommit: null,
    model,
    chunkerVersion: chunker.version,
    status: 'complete',
    counts,
    startedAt: started.toISOString(),
    completedAt: finished.toISOString(),
    contentSkips: { filterVersion: FILE_FILTER_VERSION, maxFileBytes, paths: contentSkips },
  };
  await store.putState(state);
  // Compaction belongs to full and repair runs, off the pushes' path (VectorStore.optimize). The
  // index is complete either way: a failure is a warning.
  if ((options.optimize ?? forcedFull) && store.optimize) {
    const tOptimize = performance.now();
    try {
      await store.optimize();
      logger.info(`optimized the store's lexical index in ${Math.round(performance.now() - tOptimize)} ms`);
    } catch (error) {
      logger.warn(`could not optimize the store's lexical index: ${describeError(error)}`);
    }
  }
  return {
    scope,
    commit: options.commit,
    plannedBy,
    counts,
    timings,
    durationMs: performance.now() - t0,
    skippedExamples: examples,
  };
}
