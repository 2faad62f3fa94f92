/**
 * @module action/shard — splitting a full re-index across the jobs of a matrix (`shard: 2/4`).
 *
 * A path belongs to shard `i` of `n` when `uint32(sha256(path)[0..4]) mod n == i - 1`: a
 * deterministic partition (every path in exactly one shard, the same on every runner, balanced by
 * the hash) that needs no coordination between jobs.
 *
 * A sharded run sees only its own paths, on both sides of the plan: the reader lists (and diffs)
 * only the shard's files, and the store reports only the shard's indexed files — so a shard never
 * drops another shard's points, and orphans are pruned by the shard their path hashes to.
 *
 * A sharded run never writes the (repo, ref) index state: no single shard knows that the whole
 * ref is indexed, and marking it complete would let the next incremental run diff from a commit
 * another (maybe failed) shard never finished. The next unsharded run — the push workflow, or a
 * `finalize` job after the matrix — plans by diff from the previous complete commit or, with none,
 * by a content-hash scan that re-embeds nothing the shards already stored, then writes `complete`.
 */
import { createHash } from 'node:crypto';
import type {
  FileChange,
  FileListing,
  ListOptions,
  Logger,
  SourceReader,
  StoredChunk,
  VectorStore,
} from '../core/ports.js';
import type { IndexState, Point, RefScope, SearchHit, StoreQuery } from '../core/types.js';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Largest shard count accepted (a GitHub matrix has at most 256 jobs). */
export const MAX_SHARDS = 256;

/** Parses "i/n" (1 ≤ i ≤ n ≤ 256); returns an error message for anything else. */
export function parseShard(value: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const message = `must be "i/n" with 1 <= i <= n <= ${MAX_SHARDS}, e.g. "1/4"`;
  if (!m) return message;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS || index < 1 || index > count) return message;
  return { index, count };
}

/** True when `path` belongs to `shard` (see the module comment for the formula). */
export function inShard(path: string, shard: Shard): boolean {
  if (shard.count === 1) return true;
  const digest = createHash('sha256').update(path).digest();
  return digest.readUInt32BE(0) % shard.count === shard.index - 1;
}

/** A `SourceReader` that sees only the paths of one shard. */
export class ShardedSourceReader implements SourceReader {
  constructor(
    private readonly inner: SourceReader,
    private readonly shard: Shard,
  ) {}

  get root(): string {
    return this.inner.root;
  }

  headCommit(): Promise<string | null> {
    return this.inner.headCommit();
  }

  currentRef(): Promise<string | null> {
    return this.inner.currentRef();
  }

  /** The inner listing restricted to this shard (files and skips alike). */
  async listFiles(options?: ListOptions): Promise<FileListing> {
    const listing = await this.inner.listFiles(options);
    return {
      files: listing.files.filter((f) => inShard(f.path, this.shard)),
      skipped: listing.skipped.filter((s) => inShard(s.path, this.shard)),
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }

  /** The inner diff restricted to changes touching this shard (a rename counts for both sides). */
  async diff(base: string, head: string): Promise<FileChange[] | null> {
    const changes = await this.inner.diff(base, head);
    return (
      changes?.filter(
        (c) => inShard(c.path, this.shard) || (c.oldPath !== undefined && inShard(c.oldPath, this.shard)),
      ) ?? null
    );
  }
}

/**
 * A `VectorStore` view for one shard: `indexedFiles` reports only the shard's paths and
 * `putState` is not forwarded (see the module comment). Everything else goes to `inner`.
 */
export class ShardedVectorStore implements VectorStore {
  constructor(
    private readonly inner: VectorStore,
    private readonly shard: Shard,
    private readonly logger: Logger,
  ) {}

  get space() {
    return this.inner.space;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  upsert(points: readonly Point[]): Promise<void> {
    return this.inner.upsert(points);
  }

  deleteByIds(ids: readonly string[]): Promise<void> {
    return this.inner.deleteByIds(ids);
  }

  deleteByPath(scope: RefScope, paths: readonly string[], keepIds?: ReadonlySet<string>): Promise<number> {
    return this.inner.deleteByPath(scope, paths, keepIds);
  }

  deleteRef(scope: RefScope): Promise<void> {
    return this.inner.deleteRef(scope);
  }

  async indexedFiles(scope: RefScope): Promise<Map<string, string[]>> {
    const all = await this.inner.indexedFiles(scope);
    return new Map([...all].filter(([path]) => inShard(path, this.shard)));
  }

  /** Forwarded whatever the shard: reading another shard's chunks (a rename source) changes nothing. */
  chunksOfPaths(scope: RefScope, paths: readonly string[]): Promise<Map<string, StoredChunk[]>> {
    return this.inner.chunksOfPaths(scope, paths);
  }

  vectorsByContentHash(hashes: readonly string[]): Promise<Map<string, Float32Array>> {
    return this.inner.vectorsByContentHash(hashes);
  }

  query(query: StoreQuery): Promise<SearchHit[]> {
    return this.inner.query(query);
  }

  getState(scope: RefScope): Promise<IndexState | null> {
    return this.inner.getState(scope);
  }

  /** Not forwarded: a shard never marks the ref (see the module comment). */
  putState(state: IndexState): Promise<void> {
    this.logger.debug(
      `shard ${this.shard.index}/${this.shard.count}: not writing index state (${state.status})`,
    );
    return Promise.resolve();
  }

  listStates(repo?: string): Promise<IndexState[]> {
    return this.inner.listStates(repo);
  }

  count(scope?: RefScope): Promise<number> {
    return this.inner.count(scope);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
