/**
 * Offline study of hybrid fusion functions on validation suites: which way of combining the kNN and BM25
 * lists ranks best, beyond the RRF that both stores implement (`src/core/fusion.ts`).
 *
 *   # 1. dump each suite's two candidate lists (top 50 each, with scores), as hybrid search fetches them
 *   npx tsx scripts/static-model/fusion-study.ts dump .data/suite-valid.jsonl --source .data/valid-corpus --out /tmp/fx-valid.json
 *   npx tsx scripts/static-model/fusion-study.ts dump eval/tune-fastify.jsonl --source .data/tune/node_modules/fastify \
 *     --exclude 'test/**' 'types/**' 'docs/**' 'examples/**' 'build/**' 'integration/**' 'scripts/**' \
 *     'lib/config-validator.js' 'lib/error-serializer.js' 'eslint.config.js' --out /tmp/fx-fastify.json
 *   # 2. score fusion functions on the dumps (MRR@10 per suite and their mean)
 *   npx tsx scripts/static-model/fusion-study.ts analyze /tmp/fx-valid.json /tmp/fx-fastify.json
 *
 * `--model` (default codeidx-static) takes what `codeidx eval --model` takes, e.g. a candidate's directory.
 * The lists are those of `SqliteVectorStore` in semantic and lexical mode for k = 50 (`candidateCount(10)`),
 * so RRF on them reproduces `codeidx eval`'s hybrid MRR@10 (printed as a check). Functions compared:
 *
 * - RRF (Cormack et al. 2009), weighted as Qdrant weighs prefetches: the product's fusion;
 * - convex combination α·norm(kNN) + (1 − α)·norm(BM25) (Bruch, Gai & Ingber 2023, "An Analysis of Fusion
 *   Functions for Hybrid Retrieval", ACM TOIS 42(1), arXiv:2210.11934) with min-max normalisation per
 *   list, theoretical min-max (cosine ≥ −1, BM25 ≥ 0) and z-scores; a chunk missing from a list gets 0
 *   there (its list minimum for z-scores);
 * - Qdrant's distribution-based score fusion (`dbsf`: each list scaled by mean ± 3 standard deviations and
 *   clipped to [0, 1]), here also weighted by α;
 * - the oracle: per query, the better of the two lists alone (an upper bound for any choice between them).
 *
 * Use it on validation suites only: choosing a fusion on eval/suite1 or suite2 would make the reported
 * figures optimistic.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mean } from '../../bench/lib/stats.js';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { openEvalEmbedder } from '../../src/cli/eval-command.js';
import { createStderrLogger } from '../../src/cli/stderr-logger.js';
import { createChunker } from '../../src/cli/wiring.js';
import { reciprocalRankFusion } from '../../src/core/fusion.js';
import { indexTree } from '../../src/core/index-pipeline.js';
import { matchRanking, scoreRanking } from '../../src/core/retrieval-metrics.js';
import { parseEvalSuite } from '../../src/eval/eval-suite.js';
import { checkLocations, RecordingStore } from '../../src/eval/run-eval.js';

/** Candidates per list, as hybrid search fetches them for k = 10 (`candidateCount`). */
const LIST = 50;

/**
 * One candidate: chunk id, the list's score (cosine or BM25), and the indices of the query's relevant
 * locations it matches (as `matchRanking` gives them; empty when it answers nothing).
 */
type Candidate = [id: string, score: number, matches: number[]];
/** One query of a dump: its suite line, its number of findable relevant locations, both candidate lists best first. */
interface DumpedQuery {
  line: number;
  relevant: number;
  sem: Candidate[];
  lex: Candidate[];
}

async function dump(suitePath: string, source: string, out: string, exclude: string[], model: string): Promise<void> {
  const logger = createStderrLogger('warn', (t) => process.stderr.write(t));
  const queries = parseEvalSuite(readFileSync(suitePath, 'utf8'), suitePath);
  const embedder = await openEvalEmbedder(model, { device: 'cpu', threads: 1, logger });
  if (!embedder) throw new Error('a fusion study needs an embedding model, not "none"');
  const dir = mkdtempSync(join(tmpdir(), 'codeidx-fusion-'));
  const space = { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims };
  const store = await SqliteVectorStore.open({ path: join(dir, 'study.db'), space, logger });
  // Remembers where every chunk is, as the eval harness does, to resolve the relevant locations.
  const recording = new RecordingStore(store);
  try {
    const reader = await openSourceReader(resolve(source), exclude.length > 0 ? { exclude } : {});
    await indexTree(
      { reader, chunker: createChunker(embedder, logger), embedder, cache: null, store: recording, logger },
      { scope: { repo: 'eval/study', ref: 'eval' }, commit: null, planSource: 'scan' },
    );
    const { findable } = checkLocations(queries, recording.chunks.values());
    const rows: DumpedQuery[] = [];
    for (const q of queries) {
      const relevant = findable.get(q.line) ?? [];
      if (relevant.length === 0) continue; // excluded from the means, as in `codeidx eval`
      const text = q.query.trim();
      const vector = await embedder.embedQuery(text);
      const list = async (mode: 'semantic' | 'lexical'): Promise<Candidate[]> => {
        const hits = await store.query({ text, vector, mode, k: LIST, filter: {} });
        const matches = matchRanking(hits, relevant);
        return hits.map((h, i) => [h.id, h.score, matches[i] ?? []]);
      };
      rows.push({ line: q.line, relevant: relevant.length, sem: await list('semantic'), lex: await list('lexical') });
    }
    writeFileSync(out, JSON.stringify(rows));
    process.stderr.write(`${rows.length} queries, ${recording.chunks.size} chunks → ${out}\n`);
  } finally {
    await recording.close();
    await embedder.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reciprocal rank (MRR@10's term, `scoreRanking`) of a ranking of chunk ids of query `q`. */
function reciprocalRank(q: DumpedQuery, ranking: readonly string[]): number {
  const matches = new Map([...q.sem, ...q.lex].map((c) => [c[0], c[2]]));
  return scoreRanking(ranking.map((id) => matches.get(id) ?? []), q.relevant).reciprocalRank;
}

/** MRR@10 of a fusion (chunk ids, best first, per query) over the queries of a dump. */
function mrr(queries: readonly DumpedQuery[], rank: (q: DumpedQuery) => string[]): number {
  return mean(queries.map((q) => reciprocalRank(q, rank(q))));
}

type Normalise = (scores: number[]) => { scale: (s: number) => number; missing: number };
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};
const NORMALISE: Record<string, [Normalise, Normalise]> = {
  'min-max': [minMax(), minMax()],
  'theoretical min-max': [minMax(-1), minMax(0)],
  'z-score': [zScore, zScore],
  dbsf: [dbsf, dbsf],
};
function minMax(floor?: number): Normalise {
  return (xs) => {
    const lo = floor ?? Math.min(...xs);
    const range = Math.max(...xs) - lo || 1;
    return { scale: (s) => (s - lo) / range, missing: 0 };
  };
}
function zScore(xs: number[]): ReturnType<Normalise> {
  const m = mean(xs);
  const sd = std(xs) || 1;
  return { scale: (s) => (s - m) / sd, missing: (Math.min(...xs) - m) / sd };
}
function dbsf(xs: number[]): ReturnType<Normalise> {
  const m = mean(xs);
  const sd = std(xs) || 1;
  return { scale: (s) => Math.min(1, Math.max(0, (s - (m - 3 * sd)) / (6 * sd))), missing: 0 };
}

function convex(alpha: number, [ns, nl]: [Normalise, Normalise]): (q: DumpedQuery) => string[] {
  return (q) => {
    const score = new Map<string, number>();
    const parts: Array<[Candidate[], Normalise, number]> = [[q.sem, ns, alpha], [q.lex, nl, 1 - alpha]];
    const ids = [...new Set([...q.sem, ...q.lex].map((c) => c[0]))];
    for (const [list, normalise, weight] of parts) {
      if (list.length === 0) continue;
      const { scale, missing } = normalise(list.map((c) => c[1]));
      const own = new Map(list.map((c) => [c[0], scale(c[1])]));
      for (const id of ids) score.set(id, (score.get(id) ?? 0) + weight * (own.get(id) ?? missing));
    }
    return ids.sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0));
  };
}

function analyze(files: string[]): void {
  const suites = files.map((f) => ({ name: basename(f, '.json'), queries: JSON.parse(readFileSync(f, 'utf8')) as DumpedQuery[] }));
  const rows: Array<{ label: string; scores: number[] }> = [];
  const add = (label: string, rank: (q: DumpedQuery) => string[]) =>
    rows.push({ label, scores: suites.map((s) => mrr(s.queries, rank)) });
  add('semantic alone', (q) => q.sem.map((c) => c[0]));
  add('BM25 alone', (q) => q.lex.map((c) => c[0]));
  const rrf = (k: number, lexical: number) => (q: DumpedQuery) =>
    reciprocalRankFusion([q.sem, q.lex], (c) => c[0], LIST * 2, k, [1, lexical]).map((f) => f.item[0]);
  for (const k of [0, 1, 2, 5, 10, 60]) for (const w of [1, 0.7, 0.5, 0.3, 0.2, 0.1]) add(`RRF k ${k}, 1 / ${w}`, rrf(k, w));
  for (const [name, norms] of Object.entries(NORMALISE)) {
    for (let i = 1; i < 20; i++) add(`${name}, α ${(i / 20).toFixed(2)}`, convex(i / 20, norms));
  }
  const oracle = suites.map((s) =>
    mean(s.queries.map((q) => Math.max(reciprocalRank(q, q.sem.map((c) => c[0])), reciprocalRank(q, q.lex.map((c) => c[0]))))),
  );
  rows.push({ label: 'oracle: better list per query', scores: oracle });
  const avg = (r: { scores: number[] }) => mean(r.scores);
  const lines = [`| fusion | ${suites.map((s) => s.name).join(' | ')} | mean |`, `| --- | ${suites.map(() => '---').join(' | ')} | --- |`];
  const best = (prefix: string) => rows.filter((r) => r.label.startsWith(prefix)).sort((a, b) => avg(b) - avg(a))[0];
  const picked = [
    rows[0],
    rows[1],
    best('RRF'),
    ...Object.keys(NORMALISE).map((n) => best(`${n},`)),
    rows.at(-1)!,
  ];
  for (const r of picked) lines.push(`| ${r.label} | ${r.scores.map((s) => s.toFixed(4)).join(' | ')} | ${avg(r).toFixed(4)} |`);
  process.stdout.write(`Best of each family by mean MRR@10, next to the lists alone:\n\n${lines.join('\n')}\n\nAll:\n`);
  for (const r of rows) process.stdout.write(`${r.label}\t${r.scores.map((s) => s.toFixed(4)).join('\t')}\t${avg(r).toFixed(4)}\n`);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { source: { type: 'string' }, out: { type: 'string' }, exclude: { type: 'string', multiple: true }, model: { type: 'string' } },
});
const [command, ...rest] = positionals;
if (command === 'dump' && rest.length >= 1 && values.source && values.out) {
  // parseArgs takes one value per --exclude; further patterns arrive as positionals after the suite.
  await dump(rest[0], values.source, values.out, [...(values.exclude ?? []), ...rest.slice(1)], values.model ?? 'codeidx-static');
} else if (command === 'analyze' && rest.length >= 1) {
  analyze(rest);
} else {
  process.stderr.write('usage: fusion-study.ts dump SUITE.jsonl --source DIR --out FILE.json [--exclude GLOB...] [--model SPEC]\n       fusion-study.ts analyze FILE.json...\n');
  process.exit(2);
}
