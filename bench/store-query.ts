/**
 * Query latency of the embedded store (`SqliteVectorStore`): inserts N random unit vectors with
 * code-like text, then times Q queries per mode and filter (p50/p95, milliseconds). The query
 * embedding is not included here (the embedder's own benchmark measures it).
 *
 * Run: `npx tsx bench/store-query.ts [points=50000] [queries=200] [dims=384]`
 *
 * @module bench/store-query
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteVectorStore } from '../src/adapters/sqlite/sqlite-vector-store.js';
import { dirsOf, pointId, sha256Hex } from '../src/core/identity.js';
import type { Point, SearchFilter, SearchMode } from '../src/core/types.js';

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
}

/** Latency of one (mode, filter) case, in milliseconds. */
export interface QueryLatency {
  readonly mode: SearchMode;
  readonly filter: string;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  /** Mean number of hits returned (sanity: should be k). */
  readonly meanHits: number;
}

/** Result of `measureStoreQueries`. */
export interface StoreQueryResult {
  readonly points: number;
  readonly dims: number;
  readonly k: number;
  readonly insertSeconds: number;
  readonly fileBytes: number;
  readonly cases: QueryLatency[];
}

/** mulberry32, a small seeded PRNG (public domain, Tommy Ettinger) for reproducible data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unitVector(dims: number, random: () => number): Float32Array {
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // Box–Muller: Gaussian components give directions uniform on the sphere.
    const g = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    v[i] = g;
    norm += g * g;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
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

/** Inserts `points` random points and times `queries` queries per mode and filter. */
export async function measureStoreQueries(options: StoreQueryOptions = {}): Promise<StoreQueryResult> {
  const points = options.points ?? 50_000;
  const queries = options.queries ?? 200;
  const dims = options.dims ?? 384;
  const k = options.k ?? 10;
  const modes = options.modes ?? (['semantic', 'lexical', 'hybrid'] as const);
  const repo = 'acme/big';
  const ref = 'refs/heads/main';
  const filters = options.filters ?? {
    none: {},
    'repo+ref': { repo, ref },
    'repo+ref+pathPrefix(~20%)': { repo, ref, pathPrefix: 'src/core' },
  };
  const random = prng(options.seed ?? 42);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'codeidx-bench-store-'));
  const path = join(dir, 'bench-store.db');
  const store = await SqliteVectorStore.open({ path, space: { modelId: 'bench/random', revision: 'v1', dims } });
  try {
    const folders = ['src/core', 'src/corelib', 'src/adapters/sqlite', 'lib', 'test/unit'];
    const t0 = performance.now();
    const batch: Point[] = [];
    for (let i = 0; i < points; i++) {
      // 10 % of the points belong to another tenant.
      const scope = i % 10 === 9 ? { repo: 'other/small', ref } : { repo, ref };
      const file = `${folders[i % folders.length] ?? 'src'}/file${Math.floor(i / 20)}.ts`;
      const symbol = identifier(random);
      const words = Array.from({ length: 40 }, () => identifier(random)).join(' ');
      const text = `function ${symbol}(input) {\n  return ${words};\n}`;
      const contentHash = sha256Hex(text + i);
      batch.push({
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
        vector: unitVector(dims, random),
      });
      if (batch.length === 1000) await store.upsert(batch.splice(0));
    }
    await store.upsert(batch.splice(0));
    const insertSeconds = (performance.now() - t0) / 1000;

    const queryTexts = Array.from({ length: queries }, () => `${identifier(random)} ${identifier(random)} handler`);
    const queryVectors = Array.from({ length: queries }, () => unitVector(dims, random));
    const cases: QueryLatency[] = [];
    for (const [filterName, filter] of Object.entries(filters)) {
      for (const mode of modes) {
        const times: number[] = [];
        let hits = 0;
        // Warm-up (statement preparation, page cache) is not timed.
        await store.query({ text: queryTexts[0] ?? '', vector: queryVectors[0] ?? null, mode, k, filter });
        for (let i = 0; i < queries; i++) {
          const start = performance.now();
          const result = await store.query({ text: queryTexts[i] ?? '', vector: queryVectors[i] ?? null, mode, k, filter });
          times.push(performance.now() - start);
          hits += result.length;
        }
        times.sort((a, b) => a - b);
        const at = (q: number): number => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? NaN;
        cases.push({
          mode,
          filter: filterName,
          p50: at(0.5),
          p95: at(0.95),
          mean: times.reduce((a, b) => a + b, 0) / times.length,
          meanHits: hits / queries,
        });
      }
    }
    const fileBytes = statSync(path).size;
    return { points, dims, k, insertSeconds, fileBytes, cases };
  } finally {
    await store.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [points, queries, dims] = process.argv.slice(2).map(Number);
  const result = await measureStoreQueries({
    points: Number.isFinite(points) ? points : undefined,
    queries: Number.isFinite(queries) ? queries : undefined,
    dims: Number.isFinite(dims) ? dims : undefined,
  });
  console.log(
    `${result.points} points × ${result.dims} dims, k=${result.k}: insert ${result.insertSeconds.toFixed(1)} s, ` +
      `file ${(result.fileBytes / 1e6).toFixed(0)} MB`,
  );
  for (const c of result.cases) {
    console.log(
      `${c.mode.padEnd(8)} ${c.filter.padEnd(26)} p50 ${c.p50.toFixed(1).padStart(6)} ms  p95 ${c.p95.toFixed(1).padStart(6)} ms  ` +
        `mean ${c.mean.toFixed(1)} ms  hits ${c.meanHits.toFixed(1)}`,
    );
  }
}
