/**
 * The retrieval-quality harness behind `codeidx eval`: indexes a source tree once per model into a
 * temporary store with the real pipeline (`indexTree`), runs every query of a suite in every mode
 * through `SearchService`, and scores the rankings (MRR@10, Recall@1/5/10, nDCG@10; see
 * core/retrieval-metrics).
 *
 * Honesty rules: a relevant location that matches no indexed chunk is dropped from its query with a
 * warning and counted (`missingLocations`); a query left with no findable location is excluded from
 * the means and counted (`excludedQueries`); a query whose embedding is the zero vector (the model
 * knows none of its tokens) is counted (`zeroVectorQueries`) and scored as ranked. Nothing is dropped
 * silently.
 *
 * @module eval/run-eval
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSourceReader } from '../adapters/fs/open-source-reader.js';
import { SqliteVectorStore } from '../adapters/sqlite/sqlite-vector-store.js';
import { indexTree } from '../core/index-pipeline.js';
import { DEFAULT_FUSION, type FusionWeights, type HybridFusion } from '../core/fusion.js';
import type { Chunker, Embedder, Logger, VectorStore } from '../core/ports.js';
import {
  matchesLocation,
  matchRanking,
  meanScores,
  METRIC_CUTOFF,
  pairedReciprocalRankDifference,
  scoreRanking,
  type PairedDifference,
  type LocatedChunk,
  type MeanScores,
  type QueryScores,
  type RelevantLocation,
} from '../core/retrieval-metrics.js';
import { SearchService } from '../core/search-service.js';
import type { Point, SearchMode } from '../core/types.js';
import type { EvalQuery } from './eval-suite.js';

/** What the harness needs from the outside (the CLI wires the real adapters). */
export interface EvalDeps {
  /** Opens the embedder of a model spec; null for "none" (lexical only). */
  readonly openEmbedder: (spec: string) => Promise<Embedder | null>;
  /** The chunker the CLI would use with this embedder. */
  readonly createChunker: (embedder: Embedder | null) => Chunker;
  readonly logger: Logger;
  /** Monotonic clock in ms (tests); default performance.now. */
  readonly now?: () => number;
}

/** Options of one eval run. */
export interface EvalOptions {
  /** Name of the suite (file path), for the report. */
  readonly suite: string;
  readonly queries: readonly EvalQuery[];
  /** Directory to index. */
  readonly source: string;
  /** Repository name of the index (matched against `relevant[].repo` when given). Default `eval/<folder name>`. */
  readonly repo?: string;
  /** Globs of files not to index (e.g. ["cjs/**"]), as `codeidx index --exclude`. */
  readonly exclude?: readonly string[];
  /** Model specs, e.g. ["codeidx-static", "none"]. */
  readonly models: readonly string[];
  /** Modes to run; a lexical-only model runs only `lexical`. */
  readonly modes: readonly SearchMode[];
  /** Keep per-query ranks in the result. */
  readonly perQuery?: boolean;
  /** Folder for the temporary stores (removed afterwards). Default: a new folder in os.tmpdir(). */
  readonly workDir?: string;
  /**
   * Hybrid fusion settings to compare (`codeidx eval --rrf-k/--rrf-weights`): hybrid mode runs once per
   * entry, its `k` and `weights` replacing those of the model's own fusion (`ModelInfo.fusion`, else
   * `DEFAULT_FUSION`). Default: one hybrid run with the model's own.
   */
  readonly fusions?: ReadonlyArray<{ readonly k?: number; readonly weights?: FusionWeights }>;
}

/** A relevant location that matched no indexed chunk. */
export interface MissingLocation {
  readonly line: number;
  readonly query: string;
  readonly location: RelevantLocation;
}

/** The scores of one (model, mode). */
export interface EvalRun {
  readonly model: string;
  readonly revision: string | null;
  readonly mode: SearchMode;
  /** How a hybrid run fused the two lists (null for the other modes). */
  readonly fusion: HybridFusion | null;
  readonly scores: MeanScores;
  /** Per query (when asked): suite line and rank of the first relevant hit (0 = not in the top 10). */
  readonly perQuery?: ReadonlyArray<{ line: number; rank: number }>;
}

/** Index facts of one model. */
export interface EvalIndexStats {
  readonly model: string;
  readonly revision: string | null;
  readonly dims: number | null;
  readonly chunks: number;
  readonly files: number;
  readonly indexSeconds: number;
  readonly embedSeconds: number;
  readonly missingLocations: readonly MissingLocation[];
  /** Queries with no findable relevant location (excluded from the means). */
  readonly excludedQueries: readonly number[];
  /** Queries (lines) whose embedding is the zero vector under this model. */
  readonly zeroVectorQueries: readonly number[];
}

/**
 * A paired comparison of two runs of one model (`a` − `b`, reciprocal ranks over the queries both
 * scored; see `pairedReciprocalRankDifference`): each hybrid run against semantic alone, and each
 * further hybrid run against the first. Labels are those of the table (`runLabel`).
 */
export interface EvalComparison extends PairedDifference {
  readonly model: string;
  readonly a: string;
  readonly b: string;
}

/** A run's mode as the table shows it: hybrid runs name their fusion. */
export function runLabel(run: Pick<EvalRun, 'mode' | 'fusion'>): string {
  return run.fusion ? `${run.mode} (RRF k ${run.fusion.k}, w ${run.fusion.weights.semantic}/${run.fusion.weights.lexical})` : run.mode;
}

/** The whole report (also the JSON output). */
export interface EvalResult {
  readonly suite: string;
  readonly source: string;
  readonly repo: string;
  readonly queries: number;
  readonly cutoff: number;
  readonly indexes: readonly EvalIndexStats[];
  readonly runs: readonly EvalRun[];
  /** Paired differences between runs of one model (hybrid − semantic; further hybrid runs − the first). */
  readonly comparisons: readonly EvalComparison[];
}

/**
 * A `VectorStore` that remembers where every upserted chunk is (`chunks`, by point id; deletes
 * forget), to check that answers exist; every call goes on to the wrapped store.
 */
export class RecordingStore implements VectorStore {
  readonly chunks = new Map<string, LocatedChunk>();
  constructor(private readonly inner: VectorStore) {}
  get space() {
    return this.inner.space;
  }
  init() {
    return this.inner.init();
  }
  async upsert(points: readonly Point[]) {
    for (const p of points) this.chunks.set(p.id, { repo: p.repo, path: p.path, startLine: p.startLine, endLine: p.endLine, symbol: p.symbol });
    await this.inner.upsert(points);
  }
  async deleteByIds(ids: readonly string[]) {
    for (const id of ids) this.chunks.delete(id);
    await this.inner.deleteByIds(ids);
  }
  deleteByPath(...args: Parameters<VectorStore['deleteByPath']>) {
    return this.inner.deleteByPath(...args);
  }
  deleteRef(...args: Parameters<VectorStore['deleteRef']>) {
    return this.inner.deleteRef(...args);
  }
  indexedFiles(...args: Parameters<VectorStore['indexedFiles']>) {
    return this.inner.indexedFiles(...args);
  }
  chunksOfPaths(...args: Parameters<VectorStore['chunksOfPaths']>) {
    return this.inner.chunksOfPaths(...args);
  }
  vectorsByContentHash(...args: Parameters<VectorStore['vectorsByContentHash']>) {
    return this.inner.vectorsByContentHash(...args);
  }
  query(...args: Parameters<VectorStore['query']>) {
    return this.inner.query(...args);
  }
  getState(...args: Parameters<VectorStore['getState']>) {
    return this.inner.getState(...args);
  }
  putState(...args: Parameters<VectorStore['putState']>) {
    return this.inner.putState(...args);
  }
  listStates(...args: Parameters<VectorStore['listStates']>) {
    return this.inner.listStates(...args);
  }
  count(...args: Parameters<VectorStore['count']>) {
    return this.inner.count(...args);
  }
  close() {
    return this.inner.close();
  }
}

/** Splits each query's relevant locations into findable (some indexed chunk matches) and missing. */
export function checkLocations(
  queries: readonly EvalQuery[],
  chunks: Iterable<LocatedChunk>,
): { findable: Map<number, RelevantLocation[]>; missing: MissingLocation[] } {
  const byPath = new Map<string, LocatedChunk[]>();
  for (const c of chunks) {
    const list = byPath.get(c.path);
    if (list) list.push(c);
    else byPath.set(c.path, [c]);
  }
  const findable = new Map<number, RelevantLocation[]>();
  const missing: MissingLocation[] = [];
  for (const q of queries) {
    const ok: RelevantLocation[] = [];
    for (const loc of q.relevant) {
      if ((byPath.get(loc.path) ?? []).some((c) => matchesLocation(c, loc))) ok.push(loc);
      else missing.push({ line: q.line, query: q.query, location: loc });
    }
    findable.set(q.line, ok);
  }
  return { findable, missing };
}

function describeLocation(l: RelevantLocation): string {
  const lines = l.startLine !== undefined ? `:${l.startLine}-${l.endLine ?? l.startLine}` : '';
  return `${l.repo ? `${l.repo}:` : ''}${l.path}${lines}${l.symbol ? ` (${l.symbol})` : ''}`;
}

/**
 * Runs a suite against every model and mode.
 * @throws whatever indexing or searching throws (ModelError, EmbeddingError, VectorStoreError) — an eval
 *   that cannot run is an error, never a report with made-up numbers.
 */
export async function runEval(options: EvalOptions, deps: EvalDeps): Promise<EvalResult> {
  const now = deps.now ?? (() => performance.now());
  const repo = options.repo ?? `eval/${basename(options.source)}`;
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'codeidx-eval-'));
  const indexes: EvalIndexStats[] = [];
  const runs: EvalRun[] = [];
  const comparisons: EvalComparison[] = [];
  try {
    for (const [mi, spec] of options.models.entries()) {
      const embedder = await deps.openEmbedder(spec);
      try {
        const space = embedder ? { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims } : null;
        const inner = await SqliteVectorStore.open({ path: join(workDir, `eval-${mi}.db`), space, logger: deps.logger });
        const store = new RecordingStore(inner);
        try {
          const reader = await openSourceReader(options.source, options.exclude ? { exclude: [...options.exclude] } : {});
          const t0 = now();
          const report = await indexTree(
            { reader, chunker: deps.createChunker(embedder), embedder, cache: null, store, logger: deps.logger },
            { scope: { repo, ref: 'eval' }, commit: null, planSource: 'scan' },
          );
          const indexSeconds = (now() - t0) / 1000;
          const { findable, missing } = checkLocations(options.queries, store.chunks.values());
          for (const m of missing) {
            deps.logger.warn(`eval: line ${m.line}: relevant location ${describeLocation(m.location)} matches no indexed chunk (model ${spec}); it is left out of the score`);
          }
          const excluded = options.queries.filter((q) => (findable.get(q.line) ?? []).length === 0).map((q) => q.line);
          if (excluded.length > 0) {
            deps.logger.warn(`eval: ${excluded.length} queries have no findable relevant location under model ${spec} and are excluded from the means (lines ${excluded.slice(0, 20).join(', ')}${excluded.length > 20 ? ', …' : ''})`);
          }
          const zero: number[] = [];
          if (embedder) {
            for (const q of options.queries) {
              const v = await embedder.embedQuery(q.query);
              if (!v.some((x) => x !== 0)) zero.push(q.line);
            }
            if (zero.length > 0) {
              deps.logger.warn(`eval: ${zero.length} queries embed to the zero vector under ${spec} (no token the model knows; lines ${zero.slice(0, 20).join(', ')}); their semantic ranking is arbitrary`);
            }
          }
          const modelFusion = embedder?.info.fusion ?? DEFAULT_FUSION;
          const fusions: HybridFusion[] = (options.fusions ?? [{}]).map((f) => ({ k: f.k ?? modelFusion.k, weights: f.weights ?? modelFusion.weights }));
          indexes.push({
            model: spec,
            revision: embedder?.info.revision ?? null,
            dims: embedder?.info.dims ?? null,
            chunks: store.chunks.size,
            files: report.counts.filesIndexed,
            indexSeconds,
            embedSeconds: report.timings.embed / 1000,
            missingLocations: missing,
            excludedQueries: excluded,
            zeroVectorQueries: zero,
          });
          const modes = embedder ? options.modes : options.modes.filter((m) => m === 'lexical');
          const settings = modes.flatMap((mode): Array<{ mode: SearchMode; fusion: HybridFusion | null }> =>
            mode === 'hybrid' ? fusions.map((fusion) => ({ mode, fusion })) : [{ mode, fusion: null }],
          );
          const modelRuns: Array<{ run: EvalRun; perQuery: ReadonlyArray<{ line: number; rank: number }> }> = [];
          for (const { mode, fusion } of settings) {
            const service = new SearchService({ store: inner, embedder, ...(fusion ? { fusion } : {}) });
            const scores: QueryScores[] = [];
            const perQuery: Array<{ line: number; rank: number }> = [];
            for (const q of options.queries) {
              const relevant = findable.get(q.line) ?? [];
              if (relevant.length === 0) continue;
              const response = await service.search({ query: q.query, k: METRIC_CUTOFF, mode });
              const s = scoreRanking(matchRanking(response.hits, relevant), relevant.length);
              scores.push(s);
              perQuery.push({ line: q.line, rank: s.reciprocalRank === 0 ? 0 : Math.round(1 / s.reciprocalRank) });
            }
            const run: EvalRun = {
              model: spec,
              revision: embedder?.info.revision ?? null,
              mode,
              fusion,
              scores: meanScores(scores),
              ...(options.perQuery ? { perQuery } : {}),
            };
            runs.push(run);
            modelRuns.push({ run, perQuery });
          }
          comparisons.push(...compareRuns(spec, modelRuns));
        } finally {
          await store.close();
        }
      } finally {
        await embedder?.close();
      }
    }
  } finally {
    if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
  }
  return { suite: options.suite, source: options.source, repo, queries: options.queries.length, cutoff: METRIC_CUTOFF, indexes, runs, comparisons };
}

/** The comparisons of one model's runs (see `EvalComparison`). */
function compareRuns(model: string, runs: ReadonlyArray<{ run: EvalRun; perQuery: ReadonlyArray<{ line: number; rank: number }> }>): EvalComparison[] {
  const semantic = runs.find((r) => r.run.mode === 'semantic');
  const hybrids = runs.filter((r) => r.run.mode === 'hybrid');
  const out: EvalComparison[] = [];
  const compare = (a: (typeof runs)[number], b: (typeof runs)[number]): void => {
    out.push({ model, a: runLabel(a.run), b: runLabel(b.run), ...pairedReciprocalRankDifference(a.perQuery, b.perQuery) });
  };
  for (const h of hybrids) if (semantic) compare(h, semantic);
  for (const h of hybrids.slice(1)) compare(h, hybrids[0]);
  return out;
}

const fmt = (x: number): string => (Number.isNaN(x) ? '  n/a' : x.toFixed(3));

/** The report as a fixed-width text table (one row per model and mode), with the warnings counted. */
export function formatEvalTable(result: EvalResult): string {
  const lines = [`suite ${result.suite}: ${result.queries} queries, index of ${result.source} (${result.repo})`];
  for (const ix of result.indexes) {
    const notes = [
      `${ix.chunks} chunks from ${ix.files} files, indexed in ${ix.indexSeconds.toFixed(1)} s (embedding ${ix.embedSeconds.toFixed(1)} s)`,
      ix.missingLocations.length ? `${ix.missingLocations.length} relevant locations not in the index` : '',
      ix.excludedQueries.length ? `${ix.excludedQueries.length} queries excluded` : '',
      ix.zeroVectorQueries.length ? `${ix.zeroVectorQueries.length} zero-vector queries` : '',
    ].filter(Boolean);
    lines.push(`  ${ix.model}${ix.revision ? `@${ix.revision}` : ''}: ${notes.join('; ')}`);
  }
  const header = ['model', 'mode', 'MRR@10', 'R@1', 'R@5', 'R@10', 'nDCG@10', 'scored'];
  const rows = result.runs.map((r) => [r.model, runLabel(r), fmt(r.scores.mrr10), fmt(r.scores.recall1), fmt(r.scores.recall5), fmt(r.scores.recall10), fmt(r.scores.ndcg10), String(r.scores.queries)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const render = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push('', render(header), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render));
  if (result.comparisons.length > 0) {
    lines.push('', 'paired differences of reciprocal rank (mean ± standard error; about 2 standard errors or more is a measurable difference):');
    for (const c of result.comparisons) {
      const sign = c.mean >= 0 ? '+' : '';
      lines.push(`  ${c.model}: ${c.a} − ${c.b}: ${sign}${c.mean.toFixed(3)} ± ${Number.isNaN(c.se) ? 'n/a' : c.se.toFixed(3)} (n ${c.n})`);
    }
  }
  return `${lines.join('\n')}\n`;
}
