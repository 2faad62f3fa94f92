/**
 * Query latency of the embedded store (`SqliteVectorStore`): inserts N unit vectors (random, or
 * `--clustered` / `--lowrank`, see `BenchVectors`) with code-like text, then times Q queries per kNN strategy (exact, and
 * auto = quantized above 20,000 points), mode and filter (p50/p95, milliseconds, with ratios to
 * exact), and reports recall@k of the quantized path against exact search. The query embedding is
 * not included here (the embedder's own benchmark measures it).
 *
 * Run: `npx tsx bench/store-query.ts [points=50000] [queries=200] [dims=384] [--random|--clustered|--lowrank]`
 *
 * @module bench/store-query
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  SqliteVectorStore,
  type SqliteVectorStoreOptions,
  type VectorSearchMode,
} from '../src/adapters/sqlite/sqlite-vector-store.js';
import { dirsOf, pointId, sha256Hex } from '../src/core/identity.js';
import type { Point, SearchFilter, SearchMode } from '../src/core/types.js';
import { mulberry32 as prng } from '../scripts/lib/mulberry32.js';

/** Options of `measureStoreQueries`; every field has a default. */
export interface StoreQueryOptions {
  /** Points inserted (default 50,000). */
  readonly points?: number;
  /** Queries timed per mode and filter (default 200). */
  readonly queries?: number;
  /** Vector dimension (default 384, all-MiniLM-L6-v2). */
  readonly dims?: number;
  /** Results per query (default 10). */
  readonly k?: number;
  /** Modes to time (default all three). */
  readonly modes?: readonly SearchMode[];
  /** Named filters to time (default: none, repo+ref, repo+ref+pathPrefix). */
  readonly filters?: Readonly<Record<string, SearchFilter>>;
  /** Folder for the store file (default a temp dir, removed afterwards). */
  readonly dir?: string;
  /** PRNG seed (default 42). */
  readonly seed?: number;
  /**
   * kNN strategies to time on the same file (default exact, auto and memory); recall is measured
   * against exact. `memory` is `auto` with the in-memory index (`memoryIndex: true`, as served).
   */
  readonly searches?: readonly KnnStrategy[];
  /** Kind of vectors (default `random`, the worst case for binary quantization). */
  readonly vectors?: BenchVectors;
  /** Other options of the query-side stores (re-scoring depth, exactMaxPoints). */
  readonly storeOptions?: Partial<Pick<SqliteVectorStoreOptions, 'exactMaxPoints' | 'rescoreCandidates'>>;
}

/** A kNN strategy of the bench: a `VectorSearchMode` on vec0, or `memory` (the in-memory index). */
export type KnnStrategy = VectorSearchMode | 'memory';

/** Latency of one (mode, filter) case, in milliseconds. */
export interface QueryLatency {
  readonly search: KnnStrategy;
  readonly mode: SearchMode;
  readonly filter: string;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  /** Mean number of hits returned (sanity: should be k). */
  readonly meanHits: number;
}

/** Recall@k of a kNN strategy against exact search: found true top-k ids / all true top-k ids. */
export interface Recall {
  readonly search: KnnStrategy;
  readonly filter: string;
  readonly recallAtK: number;
}

/** Result of `measureStoreQueries`. */
export interface StoreQueryResult {
  readonly points: number;
  readonly dims: number;
  readonly k: number;
  readonly vectors: BenchVectors;
  readonly insertSeconds: number;
  readonly fileBytes: number;
  readonly cases: QueryLatency[];
  readonly recall: Recall[];
}

/** mulberry32, the shared seeded PRNG (scripts/lib/mulberry32.ts). */
export { prng };

/** A standard normal deviate (Box–Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

/** A direction uniform on the sphere (Gaussian components): the worst case for binary quantization. */
export function unitVector(dims: number, random: () => number): Float32Array {
  return normalize(Float32Array.from({ length: dims }, () => gaussian(random)));
}

/**
 * How bench vectors are drawn: `random` uniform on the sphere (neighbours barely nearer than anything
 * else: the worst case for binary quantization); `clustered` around 200 centres (topics) with
 * isotropic noise, so the order inside a topic is again random-like; `lowrank` = normalize(A·z + ε)
 * with a random 384×24 map A, z ~ N(0, I₂₄) and small isotropic noise ε: a low intrinsic dimension,
 * as sentence embeddings have (their neighbours are much nearer than the average pair).
 */
export type BenchVectors = 'random' | 'clustered' | 'lowrank';

/** Latent dimension of `lowrank` vectors. */
const LATENT_DIMS = 24;

/** Per-component isotropic noise of `lowrank` vectors, relative to the latent signal (≈ 20 % of its norm). */
const LOWRANK_NOISE = 0.2;

/** Cluster centres of `clustered` vectors (≈ 250 points per centre at 50,000 points). */
const CLUSTERS = 200;

/**
 * Per-component noise of `clustered` vectors: cosine to the centre ≈ 1/√(1 + dims·σ²) ≈ 0.7 at
 * 384 dims (σ = 0.052), so neighbours share a topic but still differ.
 */
const CLUSTER_NOISE = 0.052;

/** A vector generator of the given kind; every call returns a fresh unit vector. */
export function vectorSource(kind: BenchVectors, dims: number, random: () => number): () => Float32Array {
  if (kind === 'random') return () => unitVector(dims, random);
  if (kind === 'lowrank') {
    const map = Array.from({ length: dims }, () => Float32Array.from({ length: LATENT_DIMS }, () => gaussian(random)));
    return () => {
      const z = Float32Array.from({ length: LATENT_DIMS }, () => gaussian(random));
      return normalize(
        Float32Array.from(map, (row) => {
          let x = 0;
          for (let j = 0; j < LATENT_DIMS; j++) x += (row[j] ?? 0) * (z[j] ?? 0);
          return x + LOWRANK_NOISE * Math.sqrt(LATENT_DIMS) * gaussian(random);
        }),
      );
    };
  }
  const centres = Array.from({ length: CLUSTERS }, () => unitVector(dims, random));
  return () => {
    const centre = centres[Math.floor(random() * CLUSTERS)] ?? centres[0];
    return normalize(Float32Array.from({ length: dims }, (_, i) => (centre?.[i] ?? 0) + CLUSTER_NOISE * gaussian(random)));
  };
}

const PARTS = ['get', 'set', 'user', 'name', 'config', 'parse', 'load', 'file', 'path', 'token', 'index', 'query',
  'store', 'vector', 'cache', 'chunk', 'tree', 'node', 'read', 'write', 'http', 'request', 'response', 'error',
  'handler', 'event', 'stream', 'buffer', 'list', 'map', 'item', 'value', 'key', 'hash', 'model', 'batch'];

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'pe', 'do', 'fu', 'gi', 'ha', 'ju', 'sy', 'xe'];

/** A long tail of 4,096 rarer identifier parts ("kalomi", …): real code has a large vocabulary. */
const TAIL = Array.from({ length: 4096 }, (_, i) =>
  [i & 15, (i >> 4) & 15, (i >> 8) & 15].map((j) => SYLLABLES[j] ?? '').join(''),
);

/**
 * A code-like identifier of two parts, each a common word (30 %) or a tail word; both skewed
 * toward low indexes (Zipf-like), so some tokens match most chunks and most match few.
 */
function identifier(random: () => number): string {
  const pick = (): string =>
    random() < 0.3
      ? (PARTS[Math.floor(PARTS.length * random() ** 2)] ?? 'x')
      : (TAIL[Math.floor(TAIL.length * random() ** 2)] ?? 'y');
  const a = pick();
  const b = pick();
  return random() < 0.5 ? `${a}${b[0]?.toUpperCase() ?? ''}${b.slice(1)}` : `${a}_${b}_${Math.floor(random() * 50)}`;
}

/** The tenant of most bench points; every 10th point belongs to `other/small`. */
export const BENCH_SCOPE = { repo: 'acme/big', ref: 'refs/heads/main' } as const;

/**
 * `n` code-like points: 20 chunks per file in five folders (one, "src/core", ≈ 20 %), a 40-identifier
 * body each, 10 % in another tenant, and unit vectors of the given kind or source (null vectors when
 * `dims` is 0). Pass a source to draw queries from the same distribution (same centres / map).
 */
export function benchPoints(
  n: number,
  dims: number,
  random: () => number,
  vectors: BenchVectors | (() => Float32Array) = 'random',
): Point[] {
  const folders = ['src/core', 'src/corelib', 'src/adapters/sqlite', 'lib', 'test/unit'];
  const nextVector = dims <= 0 ? null : typeof vectors === 'function' ? vectors : vectorSource(vectors, dims, random);
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const scope = i % 10 === 9 ? { repo: 'other/small', ref: BENCH_SCOPE.ref } : BENCH_SCOPE;
    const file = `${folders[i % folders.length] ?? 'src'}/file${Math.floor(i / 20)}.ts`;
    const symbol = identifier(random);
    const words = Array.from({ length: 40 }, () => identifier(random)).join(' ');
    const text = `function ${symbol}(input) {\n  return ${words};\n}`;
    const contentHash = sha256Hex(text + i);
    out.push({
      id: pointId(scope, file, i % 20, contentHash),
      repo: scope.repo,
      ref: scope.ref,
      commit: 'c'.repeat(40),
      path: file,
      dirs: dirsOf(file),
      language: 'typescript',
      symbol,
      symbolKind: 'function',
      startLine: 1,
      endLine: 3,
      contentHash,
      fileHash: sha256Hex(file),
      text,
      vector: nextVector ? nextVector() : null,
    });
  }
  return out;
}

/** Inserts `points` points and times `queries` queries per kNN strategy, mode and filter; recall vs exact. */
export async function measureStoreQueries(options: StoreQueryOptions = {}): Promise<StoreQueryResult> {
  const points = options.points ?? 50_000;
  const queries = options.queries ?? 200;
  const dims = options.dims ?? 384;
  const k = options.k ?? 10;
  const modes = options.modes ?? (['semantic', 'lexical', 'hybrid'] as const);
  const searches = options.searches ?? (['exact', 'auto', 'memory'] as const);
  const vectors = options.vectors ?? 'random';
  const { repo, ref } = BENCH_SCOPE;
  const filters = options.filters ?? {
    none: {},
    'repo+ref': { repo, ref },
    'repo+ref+pathPrefix(~20%)': { repo, ref, pathPrefix: 'src/core' },
  };
  const random = prng(options.seed ?? 42);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'codeidx-bench-store-'));
  const path = join(dir, 'bench-store.db');
  const space = { modelId: 'bench/random', revision: 'v1', dims };
  const writer = await SqliteVectorStore.open({ path, space });
  const source = vectorSource(vectors, dims, random);
  const all = benchPoints(points, dims, random, source);
  const t0 = performance.now();
  try {
    for (let i = 0; i < all.length; i += 1000) await writer.upsert(all.slice(i, i + 1000));
  } finally {
    await writer.close();
  }
  const insertSeconds = (performance.now() - t0) / 1000;
  const queryTexts = Array.from({ length: queries }, () => `${identifier(random)} ${identifier(random)} handler`);
  const queryVectors = Array.from({ length: queries }, () => source());
  const cases: QueryLatency[] = [];
  /** ids returned per (search, filter) for semantic queries, for recall. */
  const semanticIds = new Map<string, string[][]>();
  try {
    for (const search of searches) {
      const store = await SqliteVectorStore.open({
        path,
        space,
        ...(search === 'memory' ? { vectorSearch: 'auto', memoryIndex: true } : { vectorSearch: search }),
        ...options.storeOptions,
      });
      if (search === 'memory') await store.warmUp();
      try {
        for (const [filterName, filter] of Object.entries(filters)) {
          for (const mode of modes) {
            const times: number[] = [];
            const ids: string[][] = [];
            let hits = 0;
            // Warm-up (statement preparation, page cache) is not timed.
            await store.query({ text: queryTexts[0] ?? '', vector: queryVectors[0] ?? null, mode, k, filter });
            for (let i = 0; i < queries; i++) {
              const start = performance.now();
              const result = await store.query({ text: queryTexts[i] ?? '', vector: queryVectors[i] ?? null, mode, k, filter });
              times.push(performance.now() - start);
              hits += result.length;
              ids.push(result.map((h) => h.id));
            }
            if (mode === 'semantic') semanticIds.set(`${search}\u0000${filterName}`, ids);
            times.sort((a, b) => a - b);
            const at = (q: number): number => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? NaN;
            cases.push({
              search,
              mode,
              filter: filterName,
              p50: at(0.5),
              p95: at(0.95),
              mean: times.reduce((a, b) => a + b, 0) / times.length,
              meanHits: hits / queries,
            });
          }
        }
      } finally {
        await store.close();
      }
    }
    const recall: Recall[] = [];
    for (const search of searches) {
      if (search === 'exact') continue;
      for (const filterName of Object.keys(filters)) {
        const exact = semanticIds.get(`exact\u0000${filterName}`);
        const approx = semanticIds.get(`${search}\u0000${filterName}`);
        if (!exact || !approx) continue;
        let found = 0;
        let total = 0;
        exact.forEach((truth, i) => {
          const got = new Set(approx[i]);
          total += truth.length;
          found += truth.filter((id) => got.has(id)).length;
        });
        recall.push({ search, filter: filterName, recallAtK: total === 0 ? NaN : found / total });
      }
    }
    const fileBytes = statSync(path).size;
    return { points, dims, k, vectors, insertSeconds, fileBytes, cases, recall };
  } finally {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const kinds: readonly BenchVectors[] = ['random', 'clustered', 'lowrank'];
  const vectors = kinds.find((kind) => args.includes(`--${kind}`)) ?? 'random';
  const [points, queries, dims] = args.filter((a) => !a.startsWith('--')).map(Number);
  const result = await measureStoreQueries({
    points: Number.isFinite(points) ? points : undefined,
    queries: Number.isFinite(queries) ? queries : undefined,
    dims: Number.isFinite(dims) ? dims : undefined,
    vectors,
  });
  console.log(
    `${result.points} points × ${result.dims} dims (${result.vectors} vectors), k=${result.k}: ` +
      `insert ${result.insertSeconds.toFixed(1)} s, file ${(result.fileBytes / 1e6).toFixed(0)} MB`,
  );
  const exact = new Map(result.cases.filter((c) => c.search === 'exact').map((c) => [`${c.mode}|${c.filter}`, c]));
  for (const c of result.cases) {
    const base = c.search === 'exact' ? undefined : exact.get(`${c.mode}|${c.filter}`);
    const ratio = base ? `  (p50 ×${(c.p50 / base.p50).toFixed(2)}, p95 ×${(c.p95 / base.p95).toFixed(2)} vs exact)` : '';
    console.log(
      `${c.search.padEnd(9)} ${c.mode.padEnd(8)} ${c.filter.padEnd(26)} p50 ${c.p50.toFixed(1).padStart(6)} ms  ` +
        `p95 ${c.p95.toFixed(1).padStart(6)} ms  mean ${c.mean.toFixed(1)} ms  hits ${c.meanHits.toFixed(1)}${ratio}`,
    );
  }
  for (const r of result.recall) {
    console.log(`recall@${result.k} of ${r.search} vs exact (semantic, ${r.filter}): ${r.recallAtK.toFixed(3)}`);
  }
}
