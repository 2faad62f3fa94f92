/**
 * Write throughput of the embedded store (`SqliteVectorStore`): inserts N code-like points into a
 * fresh store in batches (as the indexer does), then re-upserts 10 % of them (replacing existing
 * ids), with vectors and lexical-only. With `--baseline=<git rev>` the store of that revision runs
 * the same workload in the same process, side by side, with ratios. Texts are synthetic
 * identifiers (bench/store-query.ts, a worst case for word caches: nearly every word is new) or,
 * with `--corpus=<dir>`, 40-line chunks of the real source files (.go, .ts, .py, .js) under `dir`,
 * e.g. the Go standard library of Debian's golang-go (/usr/share/go-1.19/src).
 *
 * Run: `npx tsx bench/store-write.ts [points=50000] [dims=384] [batch=1000] [--baseline=<rev>] [--corpus=<dir>]`
 *
 * @module bench/store-write
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteVectorStore } from '../src/adapters/sqlite/sqlite-vector-store.js';
import type { VectorStore } from '../src/core/ports.js';
import type { EmbeddingSpace, Point } from '../src/core/types.js';
import { benchPoints, prng } from './store-query.js';

/** Opens a fresh store at `path` (the implementation under test). */
export type StoreFactory = (path: string, space: EmbeddingSpace | null) => Promise<VectorStore>;

/** Options of `measureStoreWrites`; every field has a default. */
export interface StoreWriteOptions {
  /** Points inserted (default 50,000). */
  readonly points?: number;
  /** Vector dimension (default 384); the lexical-only case ignores it. */
  readonly dims?: number;
  /** Points per `upsert` call, one transaction each (default 1,000). */
  readonly batch?: number;
  /** Store implementations by name (default `{ current: SqliteVectorStore }`). */
  readonly stores?: Readonly<Record<string, StoreFactory>>;
  /** PRNG seed (default 42). */
  readonly seed?: number;
  /** Folder of real source files to take chunk texts from (default: synthetic texts). */
  readonly corpus?: string;
}

/** Lines per chunk of corpus files. */
const CORPUS_CHUNK_LINES = 40;

/**
 * Replaces the texts (and symbols) of `points` by 40-line chunks of the source files under `dir`,
 * in sorted path order. Throws when the folder holds fewer chunks than points.
 */
function withCorpusTexts(points: Point[], dir: string): Point[] {
  const texts: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (texts.length >= points.length) return;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(go|ts|py|js)$/.test(entry.name)) {
        const lines = readFileSync(full, 'utf8').split('\n');
        for (let i = 0; i < lines.length && texts.length < points.length; i += CORPUS_CHUNK_LINES) {
          texts.push(lines.slice(i, i + CORPUS_CHUNK_LINES).join('\n'));
        }
      }
    }
  };
  walk(dir);
  if (texts.length < points.length) throw new Error(`${dir} has ${texts.length} chunks, fewer than ${points.length}`);
  return points.map((p, i) => {
    const text = texts[i] ?? '';
    return { ...p, text, symbol: /func\s+(\w+)/.exec(text)?.[1] ?? null };
  });
}

/** Throughput of one (store, case), in points per second. */
export interface WriteThroughput {
  readonly store: string;
  /** "insert" (fresh store) or "replace 10%" (existing ids upserted again), with or without vectors. */
  readonly case: string;
  readonly points: number;
  readonly seconds: number;
  readonly pointsPerSecond: number;
}

/** Default factory: the current `SqliteVectorStore`. */
export const currentStore: StoreFactory = (path, space) => SqliteVectorStore.open({ path, space });

/**
 * Loads the `SqliteVectorStore` of git revision `rev` (written under node_modules/.cache, imports
 * pointed at this checkout's src/) as a factory. Throws if git cannot show the file.
 */
export async function baselineStore(rev: string): Promise<StoreFactory> {
  const src = resolve(import.meta.dirname, '..', 'src');
  const code = execFileSync('git', ['show', `${rev}:src/adapters/sqlite/sqlite-vector-store.ts`], {
    cwd: resolve(import.meta.dirname, '..'),
    encoding: 'utf8',
  })
    .replaceAll("from '../../", `from '${pathToFileURL(src).href}/`)
    .replaceAll("from './", `from '${pathToFileURL(join(src, 'adapters', 'sqlite')).href}/`);
  const dir = resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'codeidx-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `sqlite-vector-store-${rev.replace(/[^\w.-]/g, '_')}.ts`);
  writeFileSync(file, code);
  const mod = (await import(pathToFileURL(file).href)) as {
    SqliteVectorStore: { open(o: { path: string; space: EmbeddingSpace | null }): Promise<VectorStore> };
  };
  return (path, space) => mod.SqliteVectorStore.open({ path, space });
}

async function timeUpserts(store: VectorStore, points: readonly Point[], batch: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < points.length; i += batch) await store.upsert(points.slice(i, i + batch));
  return (performance.now() - t0) / 1000;
}

/** Times fresh inserts and 10 % replacements per store, with vectors and lexical-only. */
export async function measureStoreWrites(options: StoreWriteOptions = {}): Promise<WriteThroughput[]> {
  const n = options.points ?? 50_000;
  const dims = options.dims ?? 384;
  const batch = options.batch ?? 1000;
  const stores = options.stores ?? { current: currentStore };
  const out: WriteThroughput[] = [];
  for (const withVectors of [true, false]) {
    const random = prng(options.seed ?? 42);
    const synthetic = benchPoints(n, withVectors ? dims : 0, random);
    const points = options.corpus === undefined ? synthetic : withCorpusTexts(synthetic, options.corpus);
    // Every 10th point again, same id, new text (and vector): the delete-then-insert path.
    const replaced = points
      .filter((_, i) => i % 10 === 3)
      .map((p) => ({ ...p, text: `${p.text}\n// edited`, vector: p.vector ? p.vector.map((x) => -x) : null }));
    const space = withVectors ? { modelId: 'bench/random', revision: 'v1', dims } : null;
    const suffix = withVectors ? `${dims} dims` : 'lexical-only';
    for (const [name, open] of Object.entries(stores)) {
      const dir = mkdtempSync(join(tmpdir(), 'codeidx-bench-write-'));
      try {
        const store = await open(join(dir, 'store.db'), space);
        try {
          const insert = await timeUpserts(store, points, batch);
          out.push({ store: name, case: `insert, ${suffix}`, points: n, seconds: insert, pointsPerSecond: n / insert });
          const replace = await timeUpserts(store, replaced, batch);
          out.push({
            store: name,
            case: `replace 10%, ${suffix}`,
            points: replaced.length,
            seconds: replace,
            pointsPerSecond: replaced.length / replace,
          });
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const rev = args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
  const corpus = args.find((a) => a.startsWith('--corpus='))?.slice('--corpus='.length);
  const [points, dims, batch] = args.filter((a) => !a.startsWith('--')).map(Number);
  const stores: Record<string, StoreFactory> = {};
  if (rev !== undefined) stores[`baseline ${rev}`] = await baselineStore(rev);
  stores.current = currentStore;
  const results = await measureStoreWrites({
    points: Number.isFinite(points) ? points : undefined,
    dims: Number.isFinite(dims) ? dims : undefined,
    batch: Number.isFinite(batch) ? batch : undefined,
    stores,
    corpus,
  });
  const baseline = rev === undefined ? undefined : `baseline ${rev}`;
  for (const r of results) {
    const base = results.find((b) => b.store === baseline && b.case === r.case);
    const ratio = base && r.store !== baseline ? `  ×${(r.pointsPerSecond / base.pointsPerSecond).toFixed(2)} vs baseline` : '';
    console.log(
      `${r.store.padEnd(18)} ${r.case.padEnd(26)} ${String(r.points).padStart(6)} points ${r.seconds.toFixed(2).padStart(7)} s ` +
        `${Math.round(r.pointsPerSecond).toString().padStart(7)} points/s${ratio}`,
    );
  }
}
