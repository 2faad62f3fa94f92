/**
 * Lexical query latency of the embedded store under several common-term cutoffs, side by side in one
 * process on one store file (`SqliteVectorStoreOptions.lexicalCutoff`; see `LexicalCutoff`). Each query
 * runs once per cutoff, in rotating order, after one untimed pass that warms the page cache, so every
 * cutoff sees the same file, cache and machine load. Reports p50 / p95 / mean in milliseconds and each
 * cutoff's ratio to the first.
 *
 * Queries: the 100 developer questions of bench/suites/questions.ts, and the docstrings of a validation
 * suite (JSONL with a `query` field; optional; the first `--limit`, default 200), which are longer
 * and hold more common words.
 *
 * Run: `npx tsx bench/lexical-cutoff.ts STORE.db [--docstrings .data/suite-valid.jsonl [--limit 200]] [--fractions 0.05,0.2]`
 * The store is opened with the embedding space its `meta` table records; open a copy if it is older than
 * the current schema (opening upgrades it in place).
 *
 * @module bench/lexical-cutoff
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteVectorStore } from '../src/adapters/sqlite/sqlite-vector-store.js';
import type { EmbeddingSpace } from '../src/core/types.js';
import { fmtRatio, mean, percentile } from './lib/stats.js';
import { DEVELOPER_QUESTIONS } from './suites/questions.js';

/** Latency summary of one cutoff on one query set, in milliseconds. */
export interface CutoffLatency {
  readonly fraction: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
}

/** The embedding space recorded in a store file's `meta` table (null for a lexical-only store). */
function storeSpace(path: string): EmbeddingSpace | null {
  const db = new Database(path, { readonly: true });
  try {
    const row = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'space'").get();
    return row ? (JSON.parse(row.value) as EmbeddingSpace | null) : null;
  } finally {
    db.close();
  }
}

/**
 * Times `queries` in lexical mode (k = 10, no filter) against one store per cutoff fraction (all with
 * `minDocs` 0), rotating the order per query. Returns one summary per fraction, in the given order.
 */
export async function measureCutoffs(
  path: string,
  fractions: readonly number[],
  queries: readonly string[],
): Promise<CutoffLatency[]> {
  const space = storeSpace(path);
  const stores = await Promise.all(
    fractions.map((maxDocFraction) =>
      SqliteVectorStore.open({ path, space, lexicalCutoff: { minDocs: 0, maxDocFraction } }),
    ),
  );
  try {
    const run = (store: SqliteVectorStore, text: string) =>
      store.query({ text, vector: null, mode: 'lexical', k: 10, filter: {} });
    for (const text of queries) for (const store of stores) await run(store, text); // warm-up pass
    const times: number[][] = fractions.map(() => []);
    for (let q = 0; q < queries.length; q++) {
      for (let j = 0; j < stores.length; j++) {
        const i = (q + j) % stores.length;
        const t0 = performance.now();
        await run(stores[i], queries[q]);
        times[i].push(performance.now() - t0);
      }
    }
    return fractions.map((fraction, i) => ({
      fraction,
      p50: percentile(times[i], 0.5),
      p95: percentile(times[i], 0.95),
      mean: mean(times[i]),
    }));
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      docstrings: { type: 'string' },
      limit: { type: 'string', default: '200' },
      fractions: { type: 'string', default: '0.05,0.2' },
    },
  });
  const path = positionals[0];
  if (!path)
    throw new Error(
      'usage: npx tsx bench/lexical-cutoff.ts STORE.db [--docstrings FILE [--limit N]] [--fractions 0.05,0.2]',
    );
  const fractions = values.fractions.split(',').map(Number);
  const sets: Array<[string, readonly string[]]> = [['developer questions', DEVELOPER_QUESTIONS]];
  if (values.docstrings) {
    const docstrings = readFileSync(values.docstrings, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => (JSON.parse(line) as { query: string }).query)
      .slice(0, Number(values.limit));
    sets.push([`docstrings (${values.docstrings})`, docstrings]);
  }
  for (const [name, queries] of sets) {
    const results = await measureCutoffs(path, fractions, queries);
    console.log(`\n${name}: ${queries.length} lexical queries, k 10`);
    console.log('| cutoff (max share of chunks) | p50 ms | p95 ms | mean ms | mean vs first |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.fraction} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.mean.toFixed(1)} | ${fmtRatio(r.mean / results[0].mean)} |`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
