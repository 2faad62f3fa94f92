/**
 * @module adapters/sqlite — the embedded default `VectorStore`: one SQLite file per store
 * (better-sqlite3), dense kNN with sqlite-vec `vec0`, lexical BM25 with FTS5, fused in core with RRF.
 *
 * Layout (schema version 5):
 * - `meta(key, value)`: `format` = "codeidx-sqlite-store", `schema_version`, `space` (JSON or "null").
 * - `chunks`: one row per point, the payload of DESIGN.md; indexes on (repo, ref, path) and on the
 *   integer key `content_key` (`hexKey` of the content hash, see there for why not the string), by
 *   which vectors are found by content hash. Points are found by id through (repo, ref, path): a
 *   point id is derived from them (DESIGN.md, identity), so `upsert` looks its points' paths up and
 *   matches ids there. The `id_key` column (`hexKey` of the id) is kept but no longer indexed
 *   (version 4): an index on a random key dirties most of its leaf pages on every push (on the action
 *   benchmark's rename push, 997 distinct pages and a third of the WAL's frames); `deleteByIds`
 *   scans it instead. `scope_line` and `ordinal` (version 5; null in rows written before) hold the
 *   chunk's header scope line and position, so that `chunksOfPaths` can give back what a renamed
 *   file's chunks need to be rebuilt without chunking it again.
 * - `files(repo, ref, path, file_hash, chunks)`: how many chunk rows each (path, file hash) of a ref
 *   has, kept by every write in the same transaction; `indexedFiles` reads it instead of the chunks.
 * - `chunks_fts`: contentless FTS5 (contentless_delete=1) over code-aware tokens (`lexicalTokens`) of
 *   symbol, path and code in three columns, ranked by `bm25()` with column weights.
 * - `chunk_vectors`: `vec0` with cosine distance, partitioned by repo and ref (tenant isolation and
 *   smaller scans), holding each vector as `embedding float[dims]` and, when dims is a multiple of 8,
 *   its sign bits as `embedding_bits bit[dims]` (binary quantization, new in version 2); absent in a
 *   lexical-only store.
 * - `states(repo, ref, state)`: `IndexState` JSON.
 *
 * kNN filters are applied *inside* the vec0 scan (partition keys repo/ref, and `rowid IN (subquery)`
 * on the indexed `chunks` table for path prefix, language and symbol kind), so a selective filter
 * never returns fewer than k hits when k exist. Two kNN paths (`VectorSearchMode`):
 * - exact: vec0 brute-force cosine scan over the float vectors; on a 2-core machine at 45,000 × 384
 *   dims ≈ 24–28 ms whatever k (distance computation dominates). Brute-force `vec_distance_cosine()`
 *   over a plain table was ≈ 3× slower, which is why vec0 is used.
 * - quantized: vec0 Hamming kNN over the sign bits for the top `rescoreCandidates(limit)` candidates
 *   (≈ 1.3 ms at k = 1, 11 ms at k = 200: vec0's per-chunk top-k selection is O(n·k)), then exact
 *   cosine re-scoring of those candidates from their float vectors (the usual binary-quantization
 *   recipe, e.g. Qdrant's "rescore"; Jégou et al. 2011 for the candidate-then-rerank scheme).
 *   Recall depends on the data; bench/store-query.ts reports it against exact search.
 * `auto` (the default) uses exact search while the scanned partitions hold fewer than
 * `exactMaxPoints` vectors, where it is cheap anyway, or when a path/language/kind filter applies
 * (vec0's Hamming kNN is slow with a `rowid IN` constraint), and quantized search otherwise.
 * Re-scoring reads each candidate's float vector from vec0 (≈ 20–55 µs per point lookup).
 *
 * Writes run in transactions in WAL mode (synchronous=NORMAL): a process killed mid-write loses at
 * most the transaction in flight, never the file.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { StoreCorruptError, VectorStoreError } from '../../core/errors.js';
import { DEFAULT_FUSION, reciprocalRankFusion } from '../../core/fusion.js';
import { sha256Hex, spaceLabel } from '../../core/identity.js';
import { queryTokens } from '../../core/lexical-tokens.js';
import type { Logger, StoredChunk, VectorStore } from '../../core/ports.js';
import type {
  EmbeddingSpace,
  IndexState,
  Point,
  RefScope,
  SearchFilter,
  SearchHit,
  StoreQuery,
  SymbolKind,
} from '../../core/types.js';
import { isCorruptionError } from './is-corruption-error.js';
import { MemoLexicalTokens } from './memo-lexical-tokens.js';
import { MemoryVectorIndex } from './memory-vector-index.js';

/** Value of `meta.format`: tells a codeidx store from any other SQLite file. */
export const SQLITE_STORE_FORMAT = 'codeidx-sqlite-store';

/**
 * Vectors per vec0 chunk (one blob per column per chunk) in new stores; sqlite-vec's default is
 * 1,024. Deleting a point clears its slot inside the chunk's blob, which SQLite reaches by walking
 * the blob's overflow pages: on a 200,000-point file (256 dims + sign bits, 16 MiB page cache) a
 * delete took 0.408 ms at 1,024, 0.135 ms at 128 and 0.115 ms at 64, with no slower inserts
 * (5.6 / 3.9 / 4.0 s) or exact kNN (125 / 125 / 131 ms): `npx tsx bench/vec0-chunk-size.ts 1024 128 64`.
 * Deletes are most of a rename push's writes. Older stores keep their chunk size: every reader takes
 * the size from the chunk rows.
 */
export const VEC0_CHUNK_SIZE = 128;

/**
 * Current schema version; a store with a higher one was written by a newer codeidx. Version 3:
 * integer lookup keys instead of the `id` and `content_hash` string indexes, and the `files` table.
 * Version 4: no index on `id_key` (points are found by id through their path). Versions 2 and 3 are
 * upgraded in place when opened (`upgrade`).
 */
export const SQLITE_STORE_SCHEMA_VERSION = 5;

/** Indexes of the `chunks` table (schema version 4). */
const CHUNK_INDEXES_SQL = `
  CREATE INDEX chunks_scope_path ON chunks (repo, ref, path);
  CREATE INDEX chunks_content_key ON chunks (content_key);`;

/** The `files` table (schema version 3): chunk rows per (repo, ref, path, file hash). */
const FILES_TABLE_SQL = `
  CREATE TABLE files (
    repo TEXT NOT NULL, ref TEXT NOT NULL, path TEXT NOT NULL, file_hash TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    PRIMARY KEY (repo, ref, path, file_hash)
  ) WITHOUT ROWID;`;

/**
 * FTS5's `deletemerge` for `chunks_fts` (a contentless_delete table): 0, no merge triggered by
 * deleted rows. With SQLite's default (10), a level whose segments had 10 % of their rows deleted is
 * merged as a whole; on the action benchmark's store (230,000 chunks, 56 MB of FTS5 data) that rewrote
 * most of the index inside one push about every 10–15 rename pushes (WAL 78 MB instead of 25 MB, write
 * phase 2.7–4.0 s instead of 0.5 s); with 0, none in 30 consecutive pushes. Deleted rows' tombstones
 * are purged instead by `optimize`, which full runs call (`indexTree`), and by ordinary merges.
 * Source: fts5IndexFindDeleteMerge in SQLite's fts5_index.c; https://sqlite.org/fts5.html.
 */
export const FTS5_DELETE_MERGE = 0;

/** Sets `FTS5_DELETE_MERGE` on the store's FTS5 table unless it is set already (a config row, persistent). */
function ensureFtsDeleteMergeOff(db: Database.Database): void {
  const row = db.prepare<[], { v: unknown }>("SELECT v FROM chunks_fts_config WHERE k = 'deletemerge'").get();
  if (row !== undefined && Number(row.v) === FTS5_DELETE_MERGE) return;
  // A literal: FTS5 takes an INTEGER only, and better-sqlite3 binds a JS number as REAL.
  db.exec(`INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('deletemerge', ${FTS5_DELETE_MERGE})`);
}

/** Oldest schema version this codeidx upgrades in place (older ones must be re-indexed). */
export const SQLITE_STORE_UPGRADABLE_FROM = 2;

/**
 * Integer lookup key of a hex identifier (a point id UUID or a sha256 content hash): its last 13 hex
 * digits (52 bits, an exact JavaScript number), dashes ignored; a string that is not at least 13
 * hex digits is keyed by the same digits of its sha256. Keys may collide; every lookup compares the
 * full string too.
 *
 * Why: the ids and content hashes are uniformly random, so each insert or delete dirties a random
 * leaf page of their indexes, and a string index of 226,000 UUIDs or sha256 hex strings has ~4,000
 * leaf pages against ~600 for 52-bit integers. On the action benchmark's store (a rename push:
 * ~2,000 inserts and ~2,000 deletes on the chunks table alone, 6 alternating rounds) the WAL went
 * from 25–36 MB to 14–17 MB, the writes from 133–259 ms to 86–244 ms and the checkpoint from
 * 132–158 ms to 56–77 ms. The last digits are used because a UUID's version nibble is fixed.
 */
export function hexKey(hex: string): number {
  const digits = hex.replace(/-/g, '');
  const source = /^[0-9a-fA-F]{13,}$/.test(digits) ? digits : sha256Hex(hex);
  return Number.parseInt(source.slice(-13), 16);
}

/**
 * BM25 column weights for (symbol, path, body): a match in the symbol name counts 3×, in the path
 * 1.5×, in the code 1×. Chosen by hand (FTS5 `bm25()` weights, https://sqlite.org/fts5.html#the_bm25_function):
 * a query naming a function should rank its definition above its call sites.
 */
export const BM25_WEIGHTS = { symbol: 3, path: 1.5, body: 1 } as const;

/** Candidates fetched per retriever before fusion: max(k × 4, 50), capped at vec0's k limit (4096). */
export function candidateCount(k: number): number {
  return Math.min(Math.max(k * 4, 50), 4096);
}

/** Largest `k` a query may ask for (port contract: 1..1000). */
const MAX_K = 1000;

/** Bound parameters per `IN (...)` list, well under SQLite's default limit of 32,766 variables. */
const IN_CHUNK = 500;

/**
 * What a connection mostly does, which sets its memory knobs (`SQLITE_TUNING`):
 * - `search` (default): mmap of the store file (1 GiB of address space, not memory) — the vec0 scan
 *   reads every vector chunk, ≈ 30 % cheaper through mmap than through the page cache (measured) —
 *   and a 64 MiB page cache (SQLite's default is 2 MiB).
 * - `index`: no mmap and a 16 MiB page cache. Pages of a store file that an index run touches
 *   through mmap count in the process's RSS (file-backed); on the Go standard library (7,387 files,
 *   145,000 chunks, synthetic MiniLM loaded) peak RSS went from ≈ 690 to ≈ 550 MB with the same
 *   write time within noise (`codeidx index`, /proc sampling; BENCHMARKS.md §6). And a WAL
 *   auto-checkpoint at 16,384 pages (64 MiB) instead of SQLite's 1,000: with the default, a push's
 *   ~2,200 inserts and ~2,200 deletes (FTS5, vec0, indexes) checkpointed several times in the middle
 *   of the writes, copying pages the next statements dirtied again. With the larger bound they stay in
 *   the WAL until `close()`'s one TRUNCATE checkpoint. Action rename push, 6 alternating runs each:
 *   write phase 0.51-1.57 s → 0.28-0.46 s, action step 2.42-3.67 s → 2.23-2.57 s. The WAL still stays
 *   bounded during a cold index.
 */
export type SqliteWorkload = 'search' | 'index';

/**
 * mmap window (bytes), page cache (KiB, as `PRAGMA cache_size` takes negative values) and WAL
 * auto-checkpoint (pages, `PRAGMA wal_autocheckpoint`; SQLite's default is 1,000) per workload.
 */
export const SQLITE_TUNING: Readonly<
  Record<
    SqliteWorkload,
    { readonly mmapBytes: number; readonly cacheKib: number; readonly walAutocheckpointPages: number }
  >
> = {
  search: { mmapBytes: 1 << 30, cacheKib: 65_536, walAutocheckpointPages: 1_000 },
  index: { mmapBytes: 0, cacheKib: 16_384, walAutocheckpointPages: 16_384 },
};

/**
 * kNN strategy: `exact` scans every float vector; `quantized` ranks by Hamming distance of sign bits
 * and re-scores the best candidates exactly; `auto` picks exact below `exactMaxPoints` points.
 */
export type VectorSearchMode = 'auto' | 'exact' | 'quantized';

/** Default `exactMaxPoints`: below 20,000 vectors an exact scan costs ≤ ≈ 11 ms (2-core machine). */
export const DEFAULT_EXACT_MAX_POINTS = 20_000;

/**
 * Candidates taken from the binary (Hamming) kNN before exact re-scoring, for `limit` results:
 * max(`min`, limit × `perResult`), capped at vec0's k limit (4096).
 */
export interface RescoreCandidates {
  readonly min: number;
  readonly perResult: number;
}

/**
 * Default re-scoring depth: max(200, 4 × limit) (200 for k = 10, semantic or hybrid). vec0's Hamming
 * top-k costs O(n·k), so the depth is the latency knob: 200 candidates take ≈ 11 ms at 45,000 × 384
 * dims, 1,000 take ≈ 150 ms (2-core machine, unloaded). Recall@10 against exact search at 50,000 × 384
 * (bench/store-query.ts): 0.997 with 200 candidates (0.977 with 100) on low-intrinsic-dimension
 * vectors like sentence embeddings (`lowrank`), but only ≈ 0.36 on uniformly random vectors, whose
 * true neighbours are barely nearer than any other point; use `vectorSearch: 'exact'` for such data.
 */
export const DEFAULT_RESCORE_CANDIDATES: RescoreCandidates = { min: 200, perResult: 4 };

/** Number of binary-kNN candidates re-scored for `limit` results (see `RescoreCandidates`). */
export function rescoreCount(limit: number, rescore: RescoreCandidates = DEFAULT_RESCORE_CANDIDATES): number {
  return Math.min(Math.max(rescore.min, limit * rescore.perResult, limit), 4096);
}

/** Options of `SqliteVectorStore`. */
export interface SqliteVectorStoreOptions {
  /** Path of the store file; created (with its folder's existing parent) on `init()` if missing. */
  readonly path: string;
  /** Embedding space of the vectors, or null for a lexical-only store (no vec0 table). */
  readonly space: EmbeddingSpace | null;
  /** Optional logger for debug lines (schema creation). */
  readonly logger?: Logger;
  /** Common-term cutoff of lexical queries; see `LexicalCutoff`. Default `DEFAULT_LEXICAL_CUTOFF`. */
  readonly lexicalCutoff?: LexicalCutoff;
  /**
   * kNN strategy (default `auto`: quantized from `exactMaxPoints` points, without path/language/kind
   * filter). `quantized` needs dims divisible by 8, else exact is used.
   */
  readonly vectorSearch?: VectorSearchMode;
  /** `auto` searches exactly while the scanned partitions hold fewer points (default 20,000). */
  readonly exactMaxPoints?: number;
  /** Re-scoring depth of quantized search (default `DEFAULT_RESCORE_CANDIDATES`). */
  readonly rescoreCandidates?: RescoreCandidates;
  /**
   * Keep an in-memory copy of the vectors (`MemoryVectorIndex`: sign bits + int8 codes, ≈ 450 bytes
   * per 384-dim point) for kNN, built on first search or `warmUp()` and rebuilt after any write.
   * For long-lived search processes (`codeidx serve`): a kNN at 100,000 points then costs a few ms
   * instead of tens (bench §5). Default false (a one-shot `codeidx search` would pay the build).
   * Not used with `vectorSearch: 'exact'`.
   */
  readonly memoryIndex?: boolean;
  /** Above this many points the memory index is not built and vec0 serves kNN (default 2,000,000). */
  readonly memoryIndexMaxPoints?: number;
  /** Memory knobs of the connection (see `SqliteWorkload`). Default `search`. */
  readonly workload?: SqliteWorkload;
}

/** Default `memoryIndexMaxPoints`: ≈ 900 MB of memory index at 384 dims. */
export const DEFAULT_MEMORY_INDEX_MAX_POINTS = 2_000_000;

/**
 * Re-scoring depth of the memory index for `limit` results: max(500, 10 × limit). Scoring a candidate
 * from its int8 code costs ≈ 1.5 µs (vs ≈ 240 µs for a vec0 point read), so it can afford more
 * candidates than `DEFAULT_RESCORE_CANDIDATES` for a higher recall.
 */
export function memoryRescoreCount(limit: number): number {
  return Math.max(500, limit * 10);
}

/** The memory index scores every eligible point (no Hamming pre-selection) up to this many (≈ 3 ms). */
const MEMORY_EXACT_BELOW = 2_000;

/**
 * Common-term cutoff for BM25, after Elasticsearch's `cutoff_frequency`: in a store of at least
 * `minDocs` chunks, query tokens found in more than `maxDocFraction` of the chunks are dropped from
 * the query as long as a rarer token remains. FTS5 scores every chunk matching any token, so a token
 * present in half the corpus costs a scan of half the corpus while adding little to the ranking
 * (its IDF is near zero: log((N − n + 0.5)/(n + 0.5)), Robertson & Zaragoza 2009). Dropping the
 * common words of a long natural-language query also ranks better: they match everywhere and crowd
 * out the chunks that match its rare words (see `DEFAULT_LEXICAL_CUTOFF`).
 */
export interface LexicalCutoff {
  readonly minDocs: number;
  readonly maxDocFraction: number;
}

/**
 * Default cutoff: in stores of every size, drop query tokens present in more than 20 % of the chunks.
 * Chosen for ranking by a rule fixed beforehand (models/codeidx-static/MODEL_CARD.md, "Sixth round"):
 * on the validation sets, hybrid MRR@10 0.506 / 0.647 (docstrings / developer questions) against
 * 0.495 / 0.645 for the previous default, 5 % from 10,000 chunks on (a speed measure, which left the
 * validation stores, all under 10,000 chunks, without any cutoff). The price is speed in large stores:
 * on 225,739 chunks of the Go standard library lexical queries took 1.7× (developer questions, p50
 * 17 → 22 ms) and 1.8× (docstrings, 79 → 138 ms) as long as at 5 % (`bench/lexical-cutoff.ts`,
 * BENCHMARKS.md).
 */
export const DEFAULT_LEXICAL_CUTOFF: LexicalCutoff = { minDocs: 0, maxDocFraction: 0.2 };

interface ChunkRow {
  rowid: number;
  id: string;
  repo: string;
  ref: string;
  commit_sha: string | null;
  path: string;
  language: string;
  symbol: string | null;
  symbol_kind: string;
  start_line: number;
  end_line: number;
  text: string;
}

/**
 * Builds an FTS5 MATCH expression that is always syntactically valid: every token of `queryTokens(text)`
 * (or the given `tokens`) double-quoted, OR-joined. Null when there is no token.
 */
export function ftsMatchExpression(
  text: string,
  tokens: readonly string[] = queryTokens(text),
): string | null {
  if (tokens.length === 0) return null;
  return tokens.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

/**
 * Normalises a path prefix ("./src/core/" → "src/core"); "" means no filter.
 * The filter then matches the path itself or anything under it, never "src/corelib".
 */
export function normalizePathPrefix(prefix: string): string {
  return prefix
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
}

/** Copies a blob into a fresh, aligned Float32Array (blobs from SQLite may sit at odd offsets). */
/** Columns of a stored chunk row that decide whether an upsert may update it in place. */
interface ExistingRow {
  readonly rowid: number;
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  /** JSON array, as `upsert` stores `Point.dirs`. */
  readonly dirs: string;
  readonly content_hash: string;
  readonly file_hash: string;
  readonly symbol: string | null;
  readonly symbol_kind: string;
  readonly text: string;
}

/** A `chunks` row as `chunksOfPaths` reads it. */
interface StoredChunkRow {
  readonly id: string;
  readonly path: string;
  readonly language: string;
  readonly symbol: string | null;
  readonly symbol_kind: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly content_hash: string;
  readonly file_hash: string;
  readonly text: string;
  readonly scope_line: string | null;
  readonly ordinal: number | null;
}

/** What deleting a chunk row needs: its rowid, and its (repo, ref, path, file hash) for `files`. */
interface FileRow {
  readonly rowid: number;
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly file_hash: string;
}

/** Chunk-row count changes of one write, per (repo, ref, path, file hash) (see `applyFileDeltas`). */
type FileDeltas = Map<string, { readonly file: readonly [string, string, string, string]; n: number }>;

/** Adds `delta` chunk rows of (repo, ref, path, fileHash) to `deltas`. */
function addDelta(
  deltas: FileDeltas,
  repo: string,
  ref: string,
  path: string,
  fileHash: string,
  delta: number,
): void {
  const key = JSON.stringify([repo, ref, path, fileHash]);
  const entry = deltas.get(key);
  if (entry) entry.n += delta;
  else deltas.set(key, { file: [repo, ref, path, fileHash], n: delta });
}

/** Whether `point` has what `row` put into the FTS and vec0 rows (all but the vector, checked apart). */
function sameIndexedContent(row: ExistingRow, point: Point): boolean {
  return (
    row.content_hash === point.contentHash &&
    row.repo === point.repo &&
    row.ref === point.ref &&
    row.path === point.path &&
    row.dirs === JSON.stringify(point.dirs) &&
    row.symbol === point.symbol &&
    row.symbol_kind === point.symbolKind &&
    row.text === point.text
  );
}

/** Whether a stored float32 blob holds exactly the bytes of `vector`. */
function sameBytes(blob: Buffer, vector: Float32Array): boolean {
  if (blob.byteLength !== vector.byteLength) return false;
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).equals(blob);
}

function blobToVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/** Cosine similarity of two vectors of equal length (0 when either is all zeros). */
function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function chunked<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(',');
}

function sameSpace(a: EmbeddingSpace | null, b: EmbeddingSpace | null): boolean {
  if (a === null || b === null) return a === b;
  return a.modelId === b.modelId && a.revision === b.revision && a.dims === b.dims;
}

function describeSpace(space: EmbeddingSpace | null): string {
  return space ? `${spaceLabel(space)} (${space.dims} dims)` : 'none (lexical-only)';
}

/**
 * `VectorStore` on one SQLite file. Call `init()` (or use `SqliteVectorStore.open`) before anything else.
 * Not safe for concurrent writers in several processes beyond what SQLite's WAL locking gives
 * (one writer at a time; readers never block).
 */
export class SqliteVectorStore implements VectorStore {
  readonly space: EmbeddingSpace | null;
  /** Path of the store file. */
  readonly path: string;
  private readonly logger: Logger | undefined;
  private readonly cutoff: LexicalCutoff;
  private readonly vectorSearch: VectorSearchMode;
  private readonly exactMaxPoints: number;
  private readonly rescore: RescoreCandidates;
  /** True when the vectors also carry sign bits (dims divisible by 8, schema ≥ 2). */
  private readonly hasBits: boolean;
  private readonly tokenizer = new MemoLexicalTokens();
  private db: Database.Database | null = null;
  /** Prepared statements by SQL text, for the open handle (cleared on close). */
  private readonly statements = new Map<string, Database.Statement>();
  /** Point counts per partition key ("" = whole store), valid while `countsVersion` holds. */
  private readonly partitionCounts = new Map<string, number>();
  private countsVersion = '';
  /** Bumped by every write of this connection (`PRAGMA data_version` only sees other connections). */
  private writes = 0;
  private readonly memoryIndex: boolean;
  private readonly memoryIndexMaxPoints: number;
  private readonly tuning: (typeof SQLITE_TUNING)[SqliteWorkload];
  /** What the connection is tuned for; only an indexing open upgrades indexes. */
  private readonly workload: SqliteWorkload;
  /** The memory index and the store version it was built at (null: not built, or too large). */
  private memIndex: { version: string; index: MemoryVectorIndex | null } | null = null;

  constructor(options: SqliteVectorStoreOptions) {
    if (options.space !== null && (!Number.isInteger(options.space.dims) || options.space.dims <= 0)) {
      throw new VectorStoreError(`invalid embedding dimension ${options.space.dims}`, {
        hint: 'the model registry must give a positive integer dims',
      });
    }
    this.path = options.path;
    this.space = options.space;
    this.logger = options.logger;
    this.cutoff = options.lexicalCutoff ?? DEFAULT_LEXICAL_CUTOFF;
    this.vectorSearch = options.vectorSearch ?? 'auto';
    this.exactMaxPoints = options.exactMaxPoints ?? DEFAULT_EXACT_MAX_POINTS;
    this.rescore = options.rescoreCandidates ?? DEFAULT_RESCORE_CANDIDATES;
    if (!(this.rescore.min >= 1 && this.rescore.perResult >= 1)) {
      throw new VectorStoreError(`invalid rescoreCandidates ${JSON.stringify(this.rescore)}`, {
        hint: 'min and perResult must be at least 1',
      });
    }
    this.hasBits = options.space !== null && options.space.dims % 8 === 0;
    this.memoryIndex = options.memoryIndex === true && options.space !== null;
    this.memoryIndexMaxPoints = options.memoryIndexMaxPoints ?? DEFAULT_MEMORY_INDEX_MAX_POINTS;
    this.workload = options.workload ?? 'search';
    this.tuning = SQLITE_TUNING[this.workload];
  }

  /** Constructs and initialises a store. Throws like `init()`. */
  static async open(options: SqliteVectorStoreOptions): Promise<SqliteVectorStore> {
    const store = new SqliteVectorStore(options);
    await store.init();
    return store;
  }

  /**
   * The embedding space recorded in an existing store file: `undefined` when the file does not exist
   * or holds no codeidx store yet, `null` for a lexical-only store. Lets a search open a store with
   * the model it was built with. Throws `StoreCorruptError` for a damaged or foreign file.
   */
  static readSpace(path: string): EmbeddingSpace | null | undefined {
    if (!existsSync(path)) return undefined;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      const meta = readMeta(db, path);
      return meta === null ? undefined : meta.space;
    } catch (error) {
      throw asStoreError(error, path, 'read the store header');
    } finally {
      db?.close();
    }
  }

  /**
   * Opens the file, checks it is a codeidx store of this embedding space, creates the schema if
   * the file is new. Idempotent.
   * @throws StoreCorruptError for a damaged file or a SQLite file that is not a codeidx store (nothing is modified).
   * @throws VectorStoreError when the store holds another embedding space or a newer schema.
   */
  async init(): Promise<void> {
    if (this.db) return Promise.resolve();
    let db: Database.Database;
    try {
      db = new Database(this.path);
    } catch (error) {
      throw asStoreError(error, this.path, 'open the store');
    }
    try {
      // Read before writing anything: a foreign or corrupt file must stay untouched.
      const meta = readMeta(db, this.path);
      if (meta !== null) {
        if (meta.schemaVersion < SQLITE_STORE_UPGRADABLE_FROM) {
          throw new VectorStoreError(
            `store ${this.path} has schema version ${meta.schemaVersion}, written by an older codeidx; ` +
              `this codeidx needs version ${SQLITE_STORE_UPGRADABLE_FROM} or later (binary-quantized vectors)`,
            {
              hint:
                're-index: run `codeidx index --full` into a new data dir, or delete the store file ' +
                '(with its -wal and -shm files) and index again',
            },
          );
        }
        if (meta.schemaVersion > SQLITE_STORE_SCHEMA_VERSION) {
          throw new VectorStoreError(
            `store ${this.path} has schema version ${meta.schemaVersion}; this codeidx reads up to ${SQLITE_STORE_SCHEMA_VERSION}`,
            { hint: 'upgrade codeidx, or index into a new store file' },
          );
        }
        if (!sameSpace(meta.space, this.space)) {
          throw new VectorStoreError(
            `store ${this.path} holds the embedding space ${describeSpace(meta.space)}, not ${describeSpace(this.space)}`,
            {
              hint:
                'use the model the store was built with, pick another store file per model, ' +
                'or rebuild it with `codeidx index --full --reset`',
            },
          );
        }
      }
      sqliteVec.load(db);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = OFF');
      db.pragma(`mmap_size = ${this.tuning.mmapBytes}`);
      db.pragma(`cache_size = ${-this.tuning.cacheKib}`);
      db.pragma('temp_store = MEMORY');
      db.pragma(`wal_autocheckpoint = ${this.tuning.walAutocheckpointPages}`);
      if (meta === null) this.createSchema(db);
      else if (meta.schemaVersion < SQLITE_STORE_SCHEMA_VERSION) this.upgrade(db, meta.schemaVersion);
      ensureFtsDeleteMergeOff(db);
      // Document frequencies for the common-term cutoff; TEMP, so the file is not changed.
      db.exec("CREATE VIRTUAL TABLE temp.chunks_fts_vocab USING fts5vocab(main, 'chunks_fts', 'row')");
      this.db = db;
    } catch (error) {
      db.close();
      throw asStoreError(error, this.path, 'open the store');
    }
    return Promise.resolve();
  }

  private createSchema(db: Database.Database): void {
    const space = this.space;
    db.transaction(() => {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE chunks (
          rowid INTEGER PRIMARY KEY,
          id TEXT NOT NULL,
          id_key INTEGER NOT NULL,
          repo TEXT NOT NULL,
          ref TEXT NOT NULL,
          commit_sha TEXT,
          path TEXT NOT NULL,
          dirs TEXT NOT NULL,
          language TEXT NOT NULL,
          symbol TEXT,
          symbol_kind TEXT NOT NULL,
          start_line INTEGER NOT NULL,
          end_line INTEGER NOT NULL,
          content_hash TEXT NOT NULL,
          content_key INTEGER NOT NULL,
          file_hash TEXT NOT NULL,
          text TEXT NOT NULL,
          scope_line TEXT,
          ordinal INTEGER
        );
        ${CHUNK_INDEXES_SQL}
        ${FILES_TABLE_SQL}
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
          symbol, path, body,
          content = '', contentless_delete = 1,
          tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
        );
        CREATE TABLE states (repo TEXT NOT NULL, ref TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (repo, ref));
      `);
      if (space) {
        db.exec(
          `CREATE VIRTUAL TABLE chunk_vectors USING vec0(
             repo TEXT PARTITION KEY, ref TEXT PARTITION KEY,
             embedding float[${space.dims}] distance_metric=cosine${
               this.hasBits ? `, embedding_bits bit[${space.dims}]` : ''
             }, chunk_size=${VEC0_CHUNK_SIZE})`,
        );
      }
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('format', SQLITE_STORE_FORMAT);
      put.run('schema_version', String(SQLITE_STORE_SCHEMA_VERSION));
      put.run('space', JSON.stringify(space));
    })();
    this.logger?.debug('created SQLite store', { path: this.path, space: spaceLabel(space) });
  }

  /**
   * Upgrades a version-2, -3 or -4 store to version 5 in one transaction (a failure rolls back and
   * leaves the store as it was):
   * - from 2: rebuilds `chunks` with the integer keys (same rowids, so the FTS5 and vec0 rows stay
   *   valid) and without the string indexes, and fills `files` from it — 3.7 s for the action
   *   benchmark's 226,000 chunks, once;
   * - from 3: drops the `id_key` index (instant);
   * - from 4: adds the nullable `scope_line` and `ordinal` columns (instant; old rows hold nulls,
   *   which `chunksOfPaths` reports as unknown).
   */
  private upgrade(db: Database.Database, from: number): void {
    const t0 = performance.now();
    db.function('codeidx_hex_key', { deterministic: true }, (hex: unknown) => hexKey(String(hex)));
    const columns =
      'repo, ref, commit_sha, path, dirs, language, symbol, symbol_kind, start_line, end_line, content_hash, file_hash, text';
    const upgrade = db.transaction(() => {
      // Another process may have upgraded the store since `readMeta` (the write lock is held now).
      const version = Number(
        db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value,
      );
      if (version >= SQLITE_STORE_SCHEMA_VERSION) return;
      if (version < 3) {
        db.exec(`
          CREATE TABLE chunks_v3 (
            rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, id_key INTEGER NOT NULL, repo TEXT NOT NULL,
            ref TEXT NOT NULL, commit_sha TEXT, path TEXT NOT NULL, dirs TEXT NOT NULL, language TEXT NOT NULL,
            symbol TEXT, symbol_kind TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
            content_hash TEXT NOT NULL, content_key INTEGER NOT NULL, file_hash TEXT NOT NULL, text TEXT NOT NULL
          );
          INSERT INTO chunks_v3 (rowid, id, id_key, content_key, ${columns})
            SELECT rowid, id, codeidx_hex_key(id), codeidx_hex_key(content_hash), ${columns} FROM chunks ORDER BY rowid;
          DROP TABLE chunks;
          ALTER TABLE chunks_v3 RENAME TO chunks;
          ${CHUNK_INDEXES_SQL}
          ${FILES_TABLE_SQL}
          INSERT INTO files (repo, ref, path, file_hash, chunks)
            SELECT repo, ref, path, file_hash, count(*) FROM chunks GROUP BY repo, ref, path, file_hash;
        `);
      }
      db.exec('DROP INDEX IF EXISTS chunks_id_key');
      if (version < 5)
        db.exec(
          'ALTER TABLE chunks ADD COLUMN scope_line TEXT; ALTER TABLE chunks ADD COLUMN ordinal INTEGER;',
        );
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(
        String(SQLITE_STORE_SCHEMA_VERSION),
      );
    });
    upgrade.immediate();
    this.logger?.info(
      `upgraded store ${this.path} from schema version ${from} to ${SQLITE_STORE_SCHEMA_VERSION} in ${Math.round(performance.now() - t0)} ms (one time)`,
    );
  }

  /**
   * Applies chunk-row count changes to `files` (call inside the write's transaction): +n rows
   * inserted or -n rows deleted per file; a count that reaches 0 removes the row.
   */
  private applyFileDeltas(db: Database.Database, deltas: FileDeltas): void {
    if (deltas.size === 0) return;
    const add = this.stmt(
      db,
      `INSERT INTO files (repo, ref, path, file_hash, chunks) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, ref, path, file_hash) DO UPDATE SET chunks = chunks + excluded.chunks`,
    );
    const prune = this.stmt(
      db,
      'DELETE FROM files WHERE repo = ? AND ref = ? AND path = ? AND file_hash = ? AND chunks <= 0',
    );
    for (const { file, n } of deltas.values()) {
      if (n === 0) continue;
      add.run(...file, n);
      if (n < 0) prune.run(...file);
    }
  }

  private get handle(): Database.Database {
    if (!this.db) {
      throw new VectorStoreError(`store ${this.path} is not open`, {
        hint: 'call init() before using the store',
      });
    }
    return this.db;
  }

  /** The prepared statement for `sql`, prepared once per open handle. */
  private stmt<P extends unknown[] = unknown[], R = unknown>(
    db: Database.Database,
    sql: string,
  ): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<P, R>;
  }

  /** Runs `fn` and turns SQLite failures into `VectorStoreError` / `StoreCorruptError`. */
  private run<T>(what: string, fn: (db: Database.Database) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.handle));
    } catch (error) {
      return Promise.reject(asStoreError(error, this.path, what));
    }
  }

  /**
   * Deletes rows from chunks, FTS and vectors, and counts them out of `files` (into `deltas` when
   * given, applied by the caller; else applied here). Call inside a transaction.
   */
  private deleteRows(db: Database.Database, rows: readonly FileRow[], deltas?: FileDeltas): void {
    if (rows.length === 0) return;
    this.writes++;
    const delFts = this.stmt(db, 'DELETE FROM chunks_fts WHERE rowid = ?');
    const delVec = this.space ? this.stmt(db, 'DELETE FROM chunk_vectors WHERE rowid = ?') : null;
    const delChunk = this.stmt(db, 'DELETE FROM chunks WHERE rowid = ?');
    const own: FileDeltas = deltas ?? (new Map() as FileDeltas);
    for (const row of rows) {
      delFts.run(row.rowid);
      delVec?.run(BigInt(row.rowid));
      delChunk.run(row.rowid);
      addDelta(own, row.repo, row.ref, row.path, row.file_hash, -1);
    }
    if (!deltas) this.applyFileDeltas(db, own);
  }

  private checkVector(vector: Float32Array | null, what: string): void {
    if (this.space === null) {
      if (vector !== null) {
        throw new VectorStoreError(`${what} has a vector but the store ${this.path} is lexical-only`, {
          hint: 'open the store with the embedding space of the vectors',
        });
      }
      return;
    }
    if (vector === null) {
      throw new VectorStoreError(
        `${what} has no vector but the store ${this.path} holds ${describeSpace(this.space)}`,
        {
          hint: 'embed every point before upserting, or use a lexical-only store',
        },
      );
    }
    if (vector.length !== this.space.dims) {
      throw new VectorStoreError(`${what} has ${vector.length} dims, the store expects ${this.space.dims}`, {
        hint: 'the embedder and the store must use the same model',
      });
    }
  }

  /**
   * Inserts or replaces points by id, in one transaction. Existing ids are found with one `IN` query
   * per 500 points and only they are deleted first; if an id occurs twice in `points`, the last wins
   * (as if upserted one after the other). Lexical tokens are computed before the transaction opens.
   */
  upsert(points: readonly Point[]): Promise<void> {
    return this.run('upsert points', (db) => {
      for (const point of points) this.checkVector(point.vector, `point ${point.id} (${point.path})`);
      if (points.length === 0) return;
      const byId = new Map<string, Point>();
      for (const p of points) {
        byId.delete(p.id); // keep the order of last occurrences
        byId.set(p.id, p);
      }
      const unique = [...byId.values()];
      const fts = unique.map((p) => [
        this.tokenizer.joined(p.symbol ?? ''),
        this.tokenizer.joined(p.path),
        this.tokenizer.joined(p.text),
      ]);
      const insChunk = this.stmt(
        db,
        `INSERT INTO chunks (id, id_key, repo, ref, commit_sha, path, dirs, language, symbol, symbol_kind,
           start_line, end_line, content_hash, content_key, file_hash, text, scope_line, ordinal)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      );
      const insFts = this.stmt(db, 'INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)');
      const insVec = this.space
        ? this.stmt(
            db,
            this.hasBits
              ? 'INSERT INTO chunk_vectors (rowid, repo, ref, embedding, embedding_bits) VALUES (?, ?, ?, ?, vec_quantize_binary(?))'
              : 'INSERT INTO chunk_vectors (rowid, repo, ref, embedding) VALUES (?, ?, ?, ?)',
          )
        : null;
      const readVector = this.space
        ? this.stmt<[bigint], { embedding: Buffer }>(
            db,
            'SELECT embedding FROM chunk_vectors WHERE rowid = ?',
          )
        : null;
      const touch = this.stmt(
        db,
        `UPDATE chunks SET commit_sha = ?, language = ?, start_line = ?, end_line = ?, file_hash = ?,
           scope_line = ?, ordinal = ? WHERE rowid = ?`,
      );
      db.transaction(() => {
        this.writes++;
        // Stored points with these ids, found through their scope and path (a point id is derived
        // from repo, ref and path: DESIGN.md, identity), over the (repo, ref, path) index.
        const existing = new Map<string, ExistingRow>();
        const pathsByScope = new Map<string, { repo: string; ref: string; paths: Set<string> }>();
        for (const p of unique) {
          const key = `${p.repo}\u0000${p.ref}`;
          let scope = pathsByScope.get(key);
          if (!scope) pathsByScope.set(key, (scope = { repo: p.repo, ref: p.ref, paths: new Set() }));
          scope.paths.add(p.path);
        }
        for (const { repo, ref, paths } of pathsByScope.values()) {
          for (const part of chunked([...paths])) {
            const rows = this.stmt<unknown[], ExistingRow & { id: string }>(
              db,
              `SELECT rowid, id, repo, ref, path, dirs, content_hash, file_hash, symbol, symbol_kind, text
                 FROM chunks WHERE repo = ? AND ref = ? AND path IN (${placeholders(part.length)})`,
            ).all(repo, ref, ...part);
            for (const row of rows) if (byId.has(row.id)) existing.set(row.id, row);
          }
        }
        const deltas: FileDeltas = new Map();
        // A point stored with the same id whose indexed content (scope, path, dirs, content hash,
        // symbol, text) and vector are unchanged differs at most in commit, language, lines and file
        // hash: update those in place. Its FTS row (symbol, path, text) and vec0 row stay as they
        // are — a vec0 delete costs 0.1-0.4 ms a point on a large file (bench/vec0-chunk-size.ts),
        // the bulk of a push that edits big files.
        const replaced: ExistingRow[] = [];
        const rewrite: number[] = [];
        unique.forEach((p, i) => {
          const row = existing.get(p.id);
          if (row && sameIndexedContent(row, p)) {
            const stored = readVector?.get(BigInt(row.rowid))?.embedding;
            if (!readVector || (p.vector && stored && sameBytes(stored, p.vector))) {
              touch.run(
                p.commit,
                p.language,
                p.startLine,
                p.endLine,
                p.fileHash,
                p.scope ?? null,
                p.ordinal ?? null,
                row.rowid,
              );
              if (row.file_hash !== p.fileHash) {
                addDelta(deltas, row.repo, row.ref, row.path, row.file_hash, -1);
                addDelta(deltas, p.repo, p.ref, p.path, p.fileHash, +1);
              }
              return;
            }
          }
          if (row) replaced.push(row);
          rewrite.push(i);
        });
        this.deleteRows(db, replaced, deltas);
        rewrite.forEach((i) => {
          const p = unique[i];
          addDelta(deltas, p.repo, p.ref, p.path, p.fileHash, +1);
          const info = insChunk.run(
            p.id,
            hexKey(p.id),
            p.repo,
            p.ref,
            p.commit,
            p.path,
            JSON.stringify(p.dirs),
            p.language,
            p.symbol,
            p.symbolKind,
            p.startLine,
            p.endLine,
            p.contentHash,
            hexKey(p.contentHash),
            p.fileHash,
            p.text,
            p.scope ?? null,
            p.ordinal ?? null,
          );
          const rowid = info.lastInsertRowid;
          const [symbol, path, body] = fts[i] ?? [];
          insFts.run(rowid, symbol, path, body);
          if (insVec && p.vector) {
            const blob = vectorToBlob(p.vector);
            if (this.hasBits) insVec.run(BigInt(rowid), p.repo, p.ref, blob, blob);
            else insVec.run(BigInt(rowid), p.repo, p.ref, blob);
          }
        });
        this.applyFileDeltas(db, deltas);
      })();
    });
  }

  /**
   * Deletes the points with these ids. Scans `chunks` (one pass per 500 ids, comparing the integer
   * `id_key`, then the id): no index serves ids since schema version 4 — the pipeline deletes by
   * path, and an index on a random key costs every push (see the module comment).
   */
  deleteByIds(ids: readonly string[]): Promise<void> {
    return this.run('delete points by id', (db) => {
      db.transaction(() => {
        const wanted = new Set(ids);
        for (const part of chunked([...new Set(ids.map(hexKey))])) {
          const rows = db
            .prepare<number[], FileRow & { id: string }>(
              `SELECT rowid, id, repo, ref, path, file_hash FROM chunks WHERE id_key IN (${placeholders(part.length)})`,
            )
            .all(...part);
          this.deleteRows(
            db,
            rows.filter((r) => wanted.has(r.id)),
          );
        }
      })();
    });
  }

  deleteByPath(scope: RefScope, paths: readonly string[], keepIds?: ReadonlySet<string>): Promise<number> {
    return this.run('delete points by path', (db) => {
      let deleted = 0;
      db.transaction(() => {
        for (const part of chunked(paths)) {
          const rows = db
            .prepare<unknown[], FileRow & { id: string }>(
              `SELECT rowid, id, repo, ref, path, file_hash FROM chunks
                 WHERE repo = ? AND ref = ? AND path IN (${placeholders(part.length)})`,
            )
            .all(scope.repo, scope.ref, ...part);
          const doomed = rows.filter((r) => !keepIds?.has(r.id));
          this.deleteRows(db, doomed);
          deleted += doomed.length;
        }
      })();
      return deleted;
    });
  }

  deleteRef(scope: RefScope): Promise<void> {
    return this.run('delete a ref', (db) => {
      db.transaction(() => {
        const rows = db
          .prepare<[string, string], FileRow>(
            'SELECT rowid, repo, ref, path, file_hash FROM chunks WHERE repo = ? AND ref = ?',
          )
          .all(scope.repo, scope.ref);
        this.deleteRows(db, rows);
        db.prepare('DELETE FROM states WHERE repo = ? AND ref = ?').run(scope.repo, scope.ref);
      })();
    });
  }

  indexedFiles(scope: RefScope): Promise<Map<string, string[]>> {
    return this.run('list indexed files', (db) => {
      const rows = db
        .prepare<[string, string], { path: string; file_hash: string }>(
          'SELECT path, file_hash FROM files WHERE repo = ? AND ref = ? AND chunks > 0 ORDER BY path, file_hash',
        )
        .all(scope.repo, scope.ref);
      const files = new Map<string, string[]>();
      for (const row of rows) {
        const hashes = files.get(row.path);
        if (hashes) hashes.push(row.file_hash);
        else files.set(row.path, [row.file_hash]);
      }
      return files;
    });
  }

  /** See `VectorStore.chunksOfPaths`: one query over the (repo, ref, path) index per 500 paths. */
  chunksOfPaths(scope: RefScope, paths: readonly string[]): Promise<Map<string, StoredChunk[]>> {
    return this.run('read stored chunks', (db) => {
      const found = new Map<string, StoredChunk[]>();
      for (const part of chunked([...new Set(paths)])) {
        const rows = this.stmt<unknown[], StoredChunkRow>(
          db,
          `SELECT id, path, language, symbol, symbol_kind, start_line, end_line, content_hash, file_hash, text,
                  scope_line, ordinal
             FROM chunks WHERE repo = ? AND ref = ? AND path IN (${placeholders(part.length)})`,
        ).all(scope.repo, scope.ref, ...part);
        for (const row of rows) {
          const chunk: StoredChunk = {
            id: row.id,
            path: row.path,
            language: row.language,
            symbol: row.symbol,
            symbolKind: row.symbol_kind as SymbolKind,
            startLine: row.start_line,
            endLine: row.end_line,
            contentHash: row.content_hash,
            fileHash: row.file_hash,
            text: row.text,
            scope: row.scope_line,
            ordinal: row.ordinal,
          };
          const list = found.get(row.path);
          if (list) list.push(chunk);
          else found.set(row.path, [chunk]);
        }
      }
      return found;
    });
  }

  vectorsByContentHash(hashes: readonly string[]): Promise<Map<string, Float32Array>> {
    return this.run('read vectors by content hash', (db) => {
      const found = new Map<string, Float32Array>();
      if (!this.space) return found;
      const vec = db.prepare<[bigint], { embedding: Buffer }>(
        'SELECT embedding FROM chunk_vectors WHERE rowid = ?',
      );
      const wanted = new Set(hashes);
      const first = new Map<string, number>(); // content hash → smallest rowid holding it
      for (const part of chunked([...new Set([...wanted].map(hexKey))])) {
        const rows = db
          .prepare<number[], { content_hash: string; rowid: number }>(
            `SELECT content_hash, rowid FROM chunks WHERE content_key IN (${placeholders(part.length)})`,
          )
          .all(...part);
        for (const row of rows) {
          if (!wanted.has(row.content_hash)) continue; // a key collision
          const seen = first.get(row.content_hash);
          if (seen === undefined || row.rowid < seen) first.set(row.content_hash, row.rowid);
        }
      }
      for (const [hash, rowid] of first) {
        const hit = vec.get(BigInt(rowid));
        if (hit) found.set(hash, blobToVector(hit.embedding));
      }
      return found;
    });
  }

  query(query: StoreQuery): Promise<SearchHit[]> {
    if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_K) {
      return Promise.reject(
        new VectorStoreError(`k must be an integer from 1 to ${MAX_K}, got ${query.k}`, {
          hint: 'ask for fewer results',
        }),
      );
    }
    const semanticPossible = this.space !== null && query.vector !== null;
    if (query.mode === 'semantic' && !semanticPossible) {
      return Promise.reject(
        new VectorStoreError(
          this.space === null
            ? `semantic search is impossible: the store ${this.path} is lexical-only`
            : 'semantic search needs a query vector',
          { hint: 'use --mode lexical, or index with an embedding model' },
        ),
      );
    }
    return this.run('query', (db) => {
      if (query.vector !== null && this.space !== null) this.checkVector(query.vector, 'the query');
      const { k, mode } = query;
      // Hybrid degrades to lexical when no vector search is possible (lexical-only store or no query vector).
      if (mode === 'lexical' || (mode === 'hybrid' && !semanticPossible)) {
        return this.lexical(db, query.text, query.filter, k).map(({ row, score }) => toHit(row, score));
      }
      const vector = query.vector as Float32Array;
      if (mode === 'semantic') {
        return this.knn(db, vector, query.filter, k).map(({ row, score }) => toHit(row, score));
      }
      const n = candidateCount(k);
      const dense = this.knn(db, vector, query.filter, n).map((c) => c.row);
      const sparse = this.lexical(db, query.text, query.filter, n).map((c) => c.row);
      const fusion = query.fusion ?? DEFAULT_FUSION;
      const weights = [fusion.weights.semantic, fusion.weights.lexical];
      return reciprocalRankFusion([dense, sparse], (row) => row.id, k, fusion.k, weights).map(
        ({ item, score }) => toHit(item, score),
      );
    });
  }

  /**
   * kNN through vec0 with every filter applied during the scan, exact or quantized (see the module
   * doc and `VectorSearchMode`). Score: cosine similarity.
   */
  private knn(
    db: Database.Database,
    vector: Float32Array,
    filter: SearchFilter,
    limit: number,
  ): Array<{ row: ChunkRow; score: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.repo !== undefined) {
      where.push('repo = ?');
      params.push(filter.repo);
    }
    if (filter.ref !== undefined) {
      where.push('ref = ?');
      params.push(filter.ref);
    }
    const rest = chunkFilterSql({ ...filter, repo: undefined, ref: undefined });
    if (rest.sql.length > 0) {
      // The subquery also carries repo/ref so that it can use the (repo, ref, path) index.
      const sub = chunkFilterSql(filter);
      where.push(`rowid IN (SELECT rowid FROM chunks WHERE ${sub.sql.join(' AND ')})`);
      params.push(...sub.params);
    }
    const conditions = where.map((w) => ` AND ${w}`).join('');
    const blob = vectorToBlob(vector);
    let hits: Array<{ rowid: number; score: number }>;
    const memory = this.vectorSearch === 'exact' ? null : this.memoryIndexFor(db);
    if (memory !== null) {
      const partition =
        filter.repo === undefined && filter.ref === undefined
          ? undefined
          : (repo: string, ref: string): boolean =>
              (filter.repo === undefined || repo === filter.repo) &&
              (filter.ref === undefined || ref === filter.ref);
      let rowids: Set<number> | undefined;
      if (rest.sql.length > 0) {
        const sub = chunkFilterSql(filter);
        rowids = new Set(
          this.stmt<unknown[], number>(db, `SELECT rowid FROM chunks WHERE ${sub.sql.join(' AND ')}`)
            .pluck()
            .all(...sub.params),
        );
      }
      hits = memory.search(
        vector,
        limit,
        { partition, rowids },
        {
          candidates:
            this.vectorSearch === 'quantized' ? rescoreCount(limit, this.rescore) : memoryRescoreCount(limit),
          exactBelow: this.vectorSearch === 'quantized' ? 0 : MEMORY_EXACT_BELOW,
        },
      );
    } else if (this.quantizedFor(db, filter, rest.sql.length > 0)) {
      const candidates = this.stmt<unknown[], { rowid: number }>(
        db,
        `SELECT rowid FROM chunk_vectors
          WHERE embedding_bits MATCH vec_quantize_binary(?) AND k = ?${conditions} ORDER BY distance`,
      ).all(blob, rescoreCount(limit, this.rescore), ...params);
      const read = this.stmt<[bigint], { embedding: Buffer }>(
        db,
        'SELECT embedding FROM chunk_vectors WHERE rowid = ?',
      );
      hits = candidates.flatMap(({ rowid }) => {
        const stored = read.get(BigInt(rowid));
        return stored ? [{ rowid, score: cosineSimilarity(vector, blobToVector(stored.embedding)) }] : [];
      });
      hits.sort((a, b) => b.score - a.score || a.rowid - b.rowid);
      hits = hits.slice(0, limit);
    } else {
      hits = this.stmt<unknown[], { rowid: number; distance: number }>(
        db,
        `SELECT rowid, distance FROM chunk_vectors WHERE embedding MATCH ? AND k = ?${conditions} ORDER BY distance`,
      )
        .all(blob, limit, ...params)
        .map((h) => ({ rowid: h.rowid, score: 1 - h.distance }));
    }
    const rows = fetchRows(
      db,
      hits.map((h) => h.rowid),
    );
    return hits.flatMap((h) => {
      const row = rows.get(h.rowid);
      return row ? [{ row, score: h.score }] : [];
    });
  }

  /**
   * Builds the memory index now (when the `memoryIndex` option is on), so that the first search does
   * not pay for it. A no-op otherwise. Throws `VectorStoreError` when the store cannot be read.
   */
  warmUp(): Promise<void> {
    return this.run('build the memory index', (db) => {
      this.memoryIndexFor(db);
    });
  }

  /** `data_version` of other connections plus this connection's writes: changes on any write. */
  private storeVersion(db: Database.Database): string {
    return `${String(db.pragma('data_version', { simple: true }))}:${this.writes}`;
  }

  /** The memory index at the current store version (built or rebuilt here), or null when unused. */
  private memoryIndexFor(db: Database.Database): MemoryVectorIndex | null {
    if (!this.memoryIndex || this.space === null) return null;
    const version = this.storeVersion(db);
    if (this.memIndex?.version === version) return this.memIndex.index;
    this.memIndex = null;
    const points = this.scannedPoints(db, {});
    if (points > this.memoryIndexMaxPoints) {
      this.logger?.warn('sqlite store: too many points for the memory index; kNN stays on vec0', {
        points,
        memoryIndexMaxPoints: this.memoryIndexMaxPoints,
      });
      this.memIndex = { version, index: null };
      return null;
    }
    const started = performance.now();
    const { index, how } = MemoryVectorIndex.load(db, 'chunk_vectors', this.space.dims);
    this.memIndex = { version, index };
    this.logger?.debug('sqlite store: memory index built', {
      points: index.size,
      megabytes: Math.round(index.bytes / 1e5) / 10,
      ms: Math.round(performance.now() - started),
      from: how,
    });
    return index;
  }

  /**
   * Whether a kNN under `filter` takes the quantized path (see `VectorSearchMode`). `auto` stays exact
   * when the filter needs the `rowid IN (subquery)` constraint (path prefix, language, symbol kind):
   * vec0's Hamming kNN with it was ≈ 2× slower than the exact scan with it (measured at 50,000 × 384).
   */
  private quantizedFor(db: Database.Database, filter: SearchFilter, rowidFilter: boolean): boolean {
    if (!this.hasBits || this.vectorSearch === 'exact') return false;
    if (this.vectorSearch === 'quantized') return true;
    return !rowidFilter && this.scannedPoints(db, filter) >= this.exactMaxPoints;
  }

  /**
   * Points in the vec0 partitions a kNN under `filter` scans (repo and ref are partition keys),
   * cached until this or another connection writes.
   */
  private scannedPoints(db: Database.Database, filter: SearchFilter): number {
    const version = this.storeVersion(db);
    if (version !== this.countsVersion) {
      this.partitionCounts.clear();
      this.countsVersion = version;
    }
    const key = JSON.stringify([filter.repo ?? null, filter.ref ?? null]);
    let n = this.partitionCounts.get(key);
    if (n === undefined) {
      const f = chunkFilterSql({ repo: filter.repo, ref: filter.ref });
      const sql = `SELECT count(*) AS n FROM chunks${f.sql.length > 0 ? ` WHERE ${f.sql.join(' AND ')}` : ''}`;
      n = this.stmt<unknown[], { n: number }>(db, sql).get(...f.params)?.n ?? 0;
      this.partitionCounts.set(key, n);
    }
    return n;
  }

  /**
   * BM25 over FTS5 with filters applied before the limit. Score: -bm25() (higher is better).
   * The common-term cutoff judges tokens by their document frequency in the whole store, so under a
   * filter the tokens it keeps may be rare in the store yet absent from the filtered chunks: when a
   * filtered query with tokens dropped returns fewer than `limit` hits, it is run again with every
   * token (a filtered query never finds less than it would without the cutoff).
   */
  private lexical(
    db: Database.Database,
    text: string,
    filter: SearchFilter,
    limit: number,
  ): Array<{ row: ChunkRow; score: number }> {
    const all = queryTokens(text);
    const kept = this.cutoffTokens(db, all);
    let ranked = this.rankLexical(db, text, kept, filter, limit);
    if (kept.length < all.length && ranked.length < limit && chunkFilterSql(filter).sql.length > 0) {
      ranked = this.rankLexical(db, text, all, filter, limit);
    }
    const rows = fetchRows(
      db,
      ranked.map((r) => r.rowid),
    );
    return ranked.flatMap((r) => {
      const row = rows.get(r.rowid);
      return row ? [{ row, score: -r.rank }] : [];
    });
  }

  /** FTS5 rowids and bm25() ranks (lower is better) of the top `limit` chunks matching any of `tokens`. */
  private rankLexical(
    db: Database.Database,
    text: string,
    tokens: string[],
    filter: SearchFilter,
    limit: number,
  ): Array<{ rowid: number; rank: number }> {
    const match = ftsMatchExpression(text, tokens);
    if (match === null) return [];
    const bm25 = `bm25(chunks_fts, ${BM25_WEIGHTS.symbol}, ${BM25_WEIGHTS.path}, ${BM25_WEIGHTS.body})`;
    const f = chunkFilterSql(filter, 'c.');
    // Rank on (rowid, score) only and fetch payloads of the top `limit`: sorting whole rows of every
    // match (text included) was the dominant cost with common tokens.
    return f.sql.length === 0
      ? db
          .prepare<unknown[], { rowid: number; rank: number }>(
            `SELECT rowid, ${bm25} AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank, rowid LIMIT ?`,
          )
          .all(match, limit)
      : db
          .prepare<unknown[], { rowid: number; rank: number }>(
            `SELECT chunks_fts.rowid AS rowid, ${bm25} AS rank
                 FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
                WHERE chunks_fts MATCH ? AND ${f.sql.join(' AND ')}
                ORDER BY rank, chunks_fts.rowid LIMIT ?`,
          )
          .all(match, ...f.params, limit);
  }

  /** `tokens` (a query's, from `queryTokens`) after the common-term cutoff (see `LexicalCutoff`). */
  private cutoffTokens(db: Database.Database, tokens: string[]): string[] {
    if (tokens.length < 2) return tokens;
    const total = this.scannedPoints(db, {}); // every chunk of the store, cached until a write
    if (total < this.cutoff.minDocs) return tokens;
    const df = this.stmt<[string], { doc: number }>(
      db,
      'SELECT doc FROM temp.chunks_fts_vocab WHERE term = ?',
    );
    const limit = total * this.cutoff.maxDocFraction;
    const rare = tokens.filter((t) => (df.get(t)?.doc ?? 0) <= limit);
    return rare.length > 0 ? rare : tokens;
  }

  getState(scope: RefScope): Promise<IndexState | null> {
    return this.run('read index state', (db) => {
      const row = db
        .prepare<[string, string], { state: string }>('SELECT state FROM states WHERE repo = ? AND ref = ?')
        .get(scope.repo, scope.ref);
      return row ? parseState(row.state, this.path) : null;
    });
  }

  putState(state: IndexState): Promise<void> {
    return this.run('write index state', (db) => {
      db.prepare(
        'INSERT INTO states (repo, ref, state) VALUES (?, ?, ?) ON CONFLICT (repo, ref) DO UPDATE SET state = excluded.state',
      ).run(state.repo, state.ref, JSON.stringify(state));
    });
  }

  listStates(repo?: string): Promise<IndexState[]> {
    return this.run('list index states', (db) => {
      const rows =
        repo === undefined
          ? db.prepare<[], { state: string }>('SELECT state FROM states ORDER BY repo, ref').all()
          : db
              .prepare<[string], { state: string }>('SELECT state FROM states WHERE repo = ? ORDER BY ref')
              .all(repo);
      return rows.map((r) => parseState(r.state, this.path));
    });
  }

  count(scope?: RefScope): Promise<number> {
    return this.run('count points', (db) => {
      const row =
        scope === undefined
          ? db.prepare<[], { n: number }>('SELECT count(*) AS n FROM chunks').get()
          : db
              .prepare<[string, string], { n: number }>(
                'SELECT count(*) AS n FROM chunks WHERE repo = ? AND ref = ?',
              )
              .get(scope.repo, scope.ref);
      return row?.n ?? 0;
    });
  }

  /** Checkpoints the WAL into the main file and closes. Idempotent. */
  /**
   * See `VectorStore.optimize`: merges every FTS5 segment into one (FTS5 `optimize`), which drops the
   * tombstones of deleted rows (`FTS5_DELETE_MERGE`). Rewrites the whole lexical index: on the action
   * benchmark's store, BENCHMARKS.md §8.
   */
  optimize(): Promise<void> {
    return this.run('optimize the lexical index', (db) => {
      this.writes++;
      db.prepare("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')").run();
    });
  }

  close(): Promise<void> {
    const db = this.db;
    if (!db) return Promise.resolve();
    this.db = null;
    this.statements.clear();
    this.partitionCounts.clear();
    this.memIndex = null;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      return Promise.resolve();
    } catch (error) {
      if (db.open) db.close();
      return Promise.reject(asStoreError(error, this.path, 'close the store'));
    }
  }
}

/** `WHERE` fragments over the chunks table for a filter (`prefix` = table alias with dot). */
function chunkFilterSql(filter: SearchFilter, prefix = ''): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    sql.push(`${prefix}${column} = ?`);
    params.push(value);
  };
  eq('repo', filter.repo);
  eq('ref', filter.ref);
  eq('language', filter.language);
  eq('symbol_kind', filter.symbolKind);
  if (filter.pathPrefix !== undefined) {
    const p = normalizePathPrefix(filter.pathPrefix);
    if (p.length > 0) {
      // path = p, or p/… : the range ["p/", "p0") holds exactly the strings starting with "p/" under
      // SQLite's BINARY collation ('0' follows '/' in ASCII); no LIKE, so no escaping of % and _.
      sql.push(`(${prefix}path = ? OR (${prefix}path >= ? AND ${prefix}path < ?))`);
      params.push(p, `${p}/`, `${p}0`);
    }
  }
  return { sql, params };
}

function fetchRows(db: Database.Database, rowids: readonly number[]): Map<number, ChunkRow> {
  const rows = new Map<number, ChunkRow>();
  for (const part of chunked(rowids)) {
    const found = db
      .prepare<number[], ChunkRow>(
        `SELECT rowid, id, repo, ref, commit_sha, path, language, symbol, symbol_kind, start_line, end_line, text
           FROM chunks WHERE rowid IN (${placeholders(part.length)})`,
      )
      .all(...part);
    for (const row of found) rows.set(row.rowid, row);
  }
  return rows;
}

function toHit(row: ChunkRow, score: number): SearchHit {
  return {
    id: row.id,
    repo: row.repo,
    ref: row.ref,
    commit: row.commit_sha,
    path: row.path,
    language: row.language,
    symbol: row.symbol,
    symbolKind: row.symbol_kind as SymbolKind,
    startLine: row.start_line,
    endLine: row.end_line,
    text: row.text,
    score,
  };
}

function parseState(json: string, path: string): IndexState {
  try {
    return JSON.parse(json) as IndexState;
  } catch (cause) {
    throw new StoreCorruptError(`store ${path} holds an unreadable index state`, {
      cause,
      hint: 'run `codeidx index --full` to rewrite it',
    });
  }
}

interface StoreMeta {
  readonly schemaVersion: number;
  readonly space: EmbeddingSpace | null;
}

/**
 * Reads `meta` without writing anything. Returns null for an empty database (a new store).
 * @throws StoreCorruptError for a file that is not a database, or a database that is not a codeidx store.
 */
function readMeta(db: Database.Database, path: string): StoreMeta | null {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    .all()
    .map((r) => r.name);
  if (tables.length === 0) return null;
  const notOurs = (why: string): StoreCorruptError =>
    new StoreCorruptError(`${path} is not a codeidx store (${why})`, {
      hint: 'point --store at another file, or delete this one (or run `codeidx index --full --reset`) to rebuild it',
    });
  if (!tables.includes('meta')) return throwErr(notOurs('no meta table'));
  const rows = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all();
  const meta = new Map(rows.map((r) => [r.key, r.value]));
  if (meta.get('format') !== SQLITE_STORE_FORMAT) return throwErr(notOurs('wrong format marker'));
  const schemaVersion = Number(meta.get('schema_version'));
  if (!Number.isInteger(schemaVersion)) return throwErr(notOurs('no schema version'));
  let space: EmbeddingSpace | null;
  try {
    space = JSON.parse(meta.get('space') ?? '') as EmbeddingSpace | null;
  } catch {
    return throwErr(notOurs('unreadable embedding space'));
  }
  const v3Tables = schemaVersion >= 3 ? ['files'] : [];
  for (const table of ['chunks', 'chunks_fts', 'states', ...v3Tables, ...(space ? ['chunk_vectors'] : [])]) {
    if (!tables.includes(table)) return throwErr(notOurs(`table ${table} is missing`));
  }
  return { schemaVersion, space };
}

function throwErr(error: Error): never {
  throw error;
}

/** Maps a failure to the store's error classes (already-typed errors pass through). */
function asStoreError(error: unknown, path: string, what: string): VectorStoreError {
  if (error instanceof VectorStoreError) return error;
  if (isCorruptionError(error)) {
    return new StoreCorruptError(`store ${path} is damaged or not a database (while trying to ${what})`, {
      cause: error,
      hint: 'delete the file (or run `codeidx index --full --reset`) to rebuild the index; it is left untouched',
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new VectorStoreError(`SQLite store ${path}: cannot ${what}: ${message}`, {
    cause: error,
    hint: 'check that the file is writable and the disk is not full',
  });
}
