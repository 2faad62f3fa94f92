/**
 * Domain types shared by every layer: chunks, points, search hits, index state.
 * Field names follow the payload of DESIGN.md ("Identity and state").
 *
 * @module core/types
 */
import type { HybridFusion } from './fusion.js';

/** The kind of symbol a chunk covers. `block` is a module-level run of code; `text` a line window. */
export type SymbolKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'type'
  | 'enum'
  | 'struct'
  | 'trait'
  | 'impl'
  | 'namespace'
  | 'module'
  | 'block'
  | 'text';

/** Every symbol kind, for validation at the edges (CLI flags, API parameters). */
export const SYMBOL_KINDS: readonly SymbolKind[] = [
  'function',
  'method',
  'class',
  'interface',
  'type',
  'enum',
  'struct',
  'trait',
  'impl',
  'namespace',
  'module',
  'block',
  'text',
];

/** Search modes: dense kNN only, BM25 only, or both fused with RRF. */
export type SearchMode = 'hybrid' | 'semantic' | 'lexical';

/** The (repository, ref) an index belongs to. `repo` is the tenant ("owner/name"); `ref` e.g. "refs/heads/main". */
export interface RefScope {
  readonly repo: string;
  readonly ref: string;
}

/**
 * A file to be chunked: repo-relative POSIX path, detected language and decoded UTF-8 text.
 * `fileHash` is the sha256 (hex) of the raw bytes; it is stored with every chunk of the file
 * so that a full scan can tell which files changed without git.
 */
export interface SourceFile {
  readonly path: string;
  readonly language: string;
  readonly text: string;
  readonly fileHash: string;
}

/**
 * One chunk of a file, as produced by a `Chunker`.
 * Lines are 1-based and inclusive. `embedText` is what the embedder sees: a short header
 * (path and enclosing scope) followed by `code`. `contentHash` is sha256 (hex) of `embedText`:
 * two chunks with the same hash get the same vector under the same model.
 */
export interface Chunk {
  readonly path: string;
  readonly language: string;
  /** Name of the innermost named symbol the chunk covers, or null (e.g. a module-level block). */
  readonly symbol: string | null;
  readonly symbolKind: SymbolKind;
  readonly startLine: number;
  readonly endLine: number;
  readonly code: string;
  /** Scope line of the header (see `scopeLabel` in core/build-chunk), or null when the header has none. */
  readonly scope: string | null;
  readonly embedText: string;
  readonly contentHash: string;
  /** Position of the chunk within its file, 0-based; part of the point id. */
  readonly ordinal: number;
}

/**
 * A stored point: a chunk with its identity, provenance and (optional) dense vector.
 * `vector` is null when the index is lexical-only (no embedding model available).
 */
export interface Point {
  /** Deterministic UUID v5, see `pointId`. */
  readonly id: string;
  readonly repo: string;
  readonly ref: string;
  /** Commit the chunk was indexed at (40 hex), or null for a plain directory. */
  readonly commit: string | null;
  readonly path: string;
  /** Every ancestor folder of `path`, e.g. "src/core/x.ts" → ["src", "src/core"]. */
  readonly dirs: readonly string[];
  readonly language: string;
  readonly symbol: string | null;
  readonly symbolKind: SymbolKind;
  readonly startLine: number;
  readonly endLine: number;
  readonly contentHash: string;
  readonly fileHash: string;
  /** The code (not the embedded header). */
  readonly text: string;
  /**
   * Scope line of the chunk's embedded header (`Chunk.scope`), null when it has none. Optional:
   * points built by hand (tests, tools) may leave it out; the pipeline always sets it, so that a
   * renamed file's chunks can be rebuilt from the store (`VectorStore.chunksOfPaths`).
   */
  readonly scope?: string | null;
  /** Position of the chunk within its file (`Chunk.ordinal`). Optional like `scope`. */
  readonly ordinal?: number;
  readonly vector: Float32Array | null;
}

/** Filters understood by every `VectorStore`. All given fields must match (AND). */
export interface SearchFilter {
  readonly repo?: string;
  readonly ref?: string;
  /** Folder or file path prefix, repo-relative, no leading "./" (e.g. "src/core" or "src/core/"). */
  readonly pathPrefix?: string;
  readonly language?: string;
  readonly symbolKind?: SymbolKind;
}

/** A query as a store sees it: the raw text for BM25, the query vector for kNN. */
export interface StoreQuery {
  /** Raw query text; the store derives lexical tokens with `lexicalTokens`. */
  readonly text: string;
  /** Unit-length query embedding, or null when only lexical search is possible. */
  readonly vector: Float32Array | null;
  readonly mode: SearchMode;
  /** Number of results wanted, 1..1000. */
  readonly k: number;
  readonly filter: SearchFilter;
  /** How `hybrid` fuses its two lists; default `DEFAULT_FUSION` (core/fusion). Ignored by the other modes. */
  readonly fusion?: HybridFusion;
}

/** One ranked search result. `score` is the RRF score in hybrid mode, else the retriever's own score. */
export interface SearchHit {
  readonly id: string;
  readonly repo: string;
  readonly ref: string;
  readonly commit: string | null;
  readonly path: string;
  readonly language: string;
  readonly symbol: string | null;
  readonly symbolKind: SymbolKind;
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  readonly score: number;
}

/** Identifies an embedding space: vectors are comparable only within one. */
export interface EmbeddingSpace {
  readonly modelId: string;
  readonly revision: string;
  readonly dims: number;
}

/** Counters of one indexing run, stored with the state and printed in the summary. */
export interface IndexCounts {
  /** Files considered after ignore rules. */
  filesSeen: number;
  /** Files (re)chunked this run. */
  filesIndexed: number;
  /**
   * Of `filesIndexed`, renamed files whose chunks were rebuilt from the store under the new path
   * instead of chunked (core/reuse-chunks). Absent from states written before it existed.
   */
  filesReused: number;
  /** Files whose content was unchanged and was not re-chunked. */
  filesUnchanged: number;
  /** Files removed from the index this run. */
  filesDropped: number;
  /** Skipped files by reason (see `SkipReason`). */
  skipped: Partial<Record<SkipReason, number>>;
  chunks: number;
  cacheHits: number;
  /** Vectors reused from the store by content hash (cache misses that cost no embedding). */
  storeHits: number;
  embedded: number;
  pointsUpserted: number;
  pointsDeleted: number;
}

/** Why a file was not indexed. Every skip is counted under one of these. */
export type SkipReason =
  | 'ignored'
  | 'vendored'
  | 'generated'
  | 'lockfile'
  | 'minified'
  | 'binary'
  | 'too-large'
  | 'long-lines'
  | 'invalid-utf8'
  | 'symlink'
  | 'unreadable'
  | 'empty'
  | 'chunk-error';

/**
 * Index state of one (repo, ref), per DESIGN.md. `commit` is the last *completely* indexed
 * commit: it changes only when `status` becomes `complete`.
 */
export interface IndexState {
  readonly repo: string;
  readonly ref: string;
  /** Last completely indexed commit, or null (never completed, or a plain directory). */
  readonly commit: string | null;
  /** The commit a run in progress is indexing. */
  readonly pendingCommit: string | null;
  /** "modelId@revision", or "none" for a lexical-only index. */
  readonly model: string;
  readonly chunkerVersion: number;
  readonly status: 'in_progress' | 'complete';
  readonly counts: IndexCounts;
  /** ISO 8601 timestamps. */
  readonly startedAt: string;
  readonly completedAt: string | null;
  /**
   * Listed files that the content filter skipped when `commit` was indexed, with the reason. A
   * diff-planned run takes them over without reading them again while the diff leaves them unchanged
   * (see `planChanges`). Absent in states written before it existed (every such file is then read
   * again), and ignored by a full run.
   */
  readonly contentSkips?: ContentSkips;
}

/**
 * Content-filter skips of one indexed commit (`IndexState.contentSkips`): valid only for the same
 * filter rules (`FILE_FILTER_VERSION`) and `maxFileBytes`, on which the verdicts depend. Bounded by
 * `MAX_CONTENT_SKIPS` paths.
 */
export interface ContentSkips {
  readonly filterVersion: number;
  readonly maxFileBytes: number;
  /** path → reason. */
  readonly paths: Readonly<Record<string, SkipReason>>;
}

/** An empty counters object. */
export function emptyCounts(): IndexCounts {
  return {
    filesSeen: 0,
    filesIndexed: 0,
    filesReused: 0,
    filesUnchanged: 0,
    filesDropped: 0,
    skipped: {},
    chunks: 0,
    cacheHits: 0,
    storeHits: 0,
    embedded: 0,
    pointsUpserted: 0,
    pointsDeleted: 0,
  };
}
