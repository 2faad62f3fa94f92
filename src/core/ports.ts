/**
 * Core ports: the interfaces adapters implement. Names are the contract of DESIGN.md;
 * no vendor types appear here.
 *
 * @module core/ports
 */
import type { HybridFusion } from './fusion.js';
import type {
  Chunk,
  EmbeddingSpace,
  IndexState,
  Point,
  RefScope,
  SearchHit,
  SkipReason,
  SourceFile,
  StoreQuery,
} from './types.js';

/** Structured logger received by core; entry points pass the platform's logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Progress of a long phase; a terminal shows a bar, CI prints plain lines. */
export interface ProgressReporter {
  /** Starts a phase of `total` units (files, chunks). */
  start(phase: string, total: number): void;
  /** Advances the current phase by `n` units. */
  tick(n?: number): void;
  /** Ends the current phase. */
  stop(): void;
}

/**
 * A file found by a scan, before it is read. `size` in bytes, or -1 when the listing did not measure
 * it (`ListOptions.sizes` false).
 */
export interface FileEntry {
  readonly path: string;
  readonly size: number;
}

/** Options of `SourceReader.listFiles`. */
export interface ListOptions {
  /**
   * Measure every file (`lstat`) and skip those above the size limit as 'too-large'. Default true.
   * False saves one `lstat` per file (≈ 0.1 s on 9,000 files) when only a few files will be read,
   * e.g. a diff-planned run; `readFile` still refuses an oversized file (`FileTooLargeError`).
   */
  readonly sizes?: boolean;
}

/** A path passed over during a scan, with the reason it was skipped. */
export interface SkippedPath {
  readonly path: string;
  readonly reason: SkipReason;
}

/** Result of listing the files of a tree: candidates plus what the ignore rules skipped. */
export interface FileListing {
  readonly files: FileEntry[];
  readonly skipped: SkippedPath[];
}

/** One change between two commits. `oldPath` is set for renames. */
export interface FileChange {
  readonly status: 'added' | 'modified' | 'deleted' | 'renamed';
  readonly path: string;
  readonly oldPath?: string;
}

/**
 * Reads a source tree: a git working tree or a plain directory.
 * Paths are repo-relative POSIX paths.
 */
export interface SourceReader {
  /** Absolute path of the tree's root. */
  readonly root: string;
  /** The commit checked out (40 hex), or null for a plain directory or a repository with no commits. */
  headCommit(): Promise<string | null>;
  /** The current branch as a full ref ("refs/heads/main"), or null (detached HEAD, plain directory). */
  currentRef(): Promise<string | null>;
  /** Lists candidate files, applying .gitignore (every level), .git/info/exclude, .codeidxignore and vendor folders. */
  listFiles(options?: ListOptions): Promise<FileListing>;
  /**
   * Raw bytes of a file of the tree. Throws `FileTooLargeError` (without reading it) for a file
   * above the reader's size limit, and another error if it cannot be read.
   */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Changes from commit `base` to commit `head`, or null when `base` is not available
   * (unknown object, shallow clone): callers fall back to a full scan.
   */
  diff(base: string, head: string): Promise<FileChange[] | null>;
}

/** Counts tokens of the embedding model's tokenizer (the chunk size budget is in these units). */
export interface TokenCounter {
  count(text: string): number;
}

/** Splits one file into chunks. Deterministic: same file → same chunks and hashes. */
export interface Chunker {
  /** Bumped whenever chunk boundaries or embedded text change; stored with the index. */
  readonly version: number;
  /** Throws `ChunkError` only for a file it cannot process at all (the caller counts and skips it). */
  chunk(file: SourceFile): Promise<Chunk[]>;
}

/** Static facts about an embedding model. */
export interface ModelInfo {
  /** e.g. "Xenova/all-MiniLM-L6-v2" or "codeidx-static". */
  readonly id: string;
  /** Git revision (commit sha or tag) of the model files. */
  readonly revision: string;
  readonly dims: number;
  /** Longest input in tokens; longer inputs are truncated. */
  readonly maxTokens: number;
  readonly pooling: 'mean' | 'cls';
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  /**
   * How hybrid search should fuse this model's kNN list with BM25 (`fusion` of `codeidx-model.json`,
   * tuned on a validation suite); absent: `DEFAULT_FUSION`.
   */
  readonly fusion?: HybridFusion;
}

/** Texts → unit-length float32 vectors. */
export interface Embedder {
  readonly info: ModelInfo;
  /** Execution provider actually in use ("cpu", "cuda"). */
  readonly device: string;
  readonly tokenCounter: TokenCounter;
  /**
   * True when `embedDocuments` computes off the calling thread (a worker thread, a remote service):
   * `indexTree` then embeds one batch while it chunks and writes others. Absent or false: the work
   * happens on the calling thread, and overlapping would gain nothing.
   */
  readonly offThread?: boolean;
  /**
   * Directory of the model's tokenizer.json, when the embedder has one: chunker worker threads load
   * their own token counter from it (`createIndexChunker`).
   */
  readonly modelDir?: string;
  /**
   * For an embedder whose model loads in the background (WorkerEmbedder): settles when it has loaded,
   * rejecting with the reason it could not. Absent: the embedder was ready when it was returned.
   */
  readonly ready?: Promise<void>;
  /**
   * Embeds documents (the document prefix is added here). Returns one vector of `info.dims`
   * per text, in input order. Throws `EmbeddingError`.
   */
  embedDocuments(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]>;
  /** Embeds one query (the query prefix is added here). Throws `EmbeddingError`. */
  embedQuery(text: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Persistent content-addressed cache: key (see `embeddingCacheKey`) → vector. */
export interface EmbeddingCache {
  /** Vectors found for the given keys (missing keys are absent from the map). Counts hits and misses. */
  getMany(keys: readonly string[]): Promise<Map<string, Float32Array>>;
  putMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void>;
  readonly stats: { hits: number; misses: number };
  /** Flushes, prunes to the size bound (least recently used first) and closes. */
  close(): Promise<void>;
}

/**
 * A point as `VectorStore.chunksOfPaths` returns it: the point without its vector and provenance,
 * with `scope` and `ordinal` null when the store does not have them (points written by codeidx before
 * they were stored, or built without them).
 */
export type StoredChunk = Pick<
  Point,
  | 'id'
  | 'path'
  | 'language'
  | 'symbol'
  | 'symbolKind'
  | 'startLine'
  | 'endLine'
  | 'contentHash'
  | 'fileHash'
  | 'text'
> & {
  readonly scope: string | null;
  readonly ordinal: number | null;
};

/**
 * Where points live. Adapters: SQLite (embedded default) and Qdrant.
 * All methods throw `VectorStoreError` on failure; none returns a partial result silently.
 */
export interface VectorStore {
  /** The embedding space of this store, or null for a lexical-only store. */
  readonly space: EmbeddingSpace | null;
  /** Creates tables/collections if needed. Throws if the store holds another embedding space. */
  init(): Promise<void>;
  /**
   * Inserts or replaces points by id. A point id names one (repo, ref, path) — it is derived from
   * them (`pointId`, DESIGN.md identity) — and adapters may rely on it: the embedded store finds the
   * stored point of an id through its (repo, ref, path).
   */
  upsert(points: readonly Point[]): Promise<void>;
  /** Deletes the points with these ids (unknown ids are ignored). Not on the pipeline's path. */
  deleteByIds(ids: readonly string[]): Promise<void>;
  /**
   * Deletes the points of `paths` in `scope`, except those whose id is in `keepIds`
   * (used after an upsert to remove a file's stale chunks). Returns how many were deleted
   * when the store can tell, else -1.
   */
  deleteByPath(scope: RefScope, paths: readonly string[], keepIds?: ReadonlySet<string>): Promise<number>;
  /** Deletes every point and the state of (repo, ref). */
  deleteRef(scope: RefScope): Promise<void>;
  /** path → distinct file hashes stored for it (more than one means a run was interrupted). */
  indexedFiles(scope: RefScope): Promise<Map<string, string[]>>;
  /**
   * The stored points of `paths` in `scope`, without vectors: path → its points (any order). A path
   * the store does not hold is absent. Used to rebuild a renamed file's chunks without chunking it
   * again (core/reuse-chunks); the caller checks what it gets (ordinals, content hashes).
   */
  chunksOfPaths(scope: RefScope, paths: readonly string[]): Promise<Map<string, StoredChunk[]>>;
  /** Vectors already stored for these content hashes (any repo/ref of this space). */
  vectorsByContentHash(hashes: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Ranked hits: kNN, BM25, or both fused with RRF per `query.mode`. */
  query(query: StoreQuery): Promise<SearchHit[]>;
  getState(scope: RefScope): Promise<IndexState | null>;
  putState(state: IndexState): Promise<void>;
  /** States of every (repo, ref), optionally of one repo. */
  listStates(repo?: string): Promise<IndexState[]>;
  /** Number of points, optionally in one scope. */
  count(scope?: RefScope): Promise<number>;
  /**
   * Optional maintenance after a full run (`indexTree` calls it then, never on an incremental run):
   * the embedded store compacts its lexical index here instead of during pushes. Stores that
   * maintain themselves (Qdrant) do not implement it.
   */
  optimize?(): Promise<void>;
  close(): Promise<void>;
}

/** A skipped file, for reports. Re-exported so adapters need only this module. */
export type { SkipReason, SourceFile, Chunk };
