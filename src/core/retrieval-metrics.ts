/**
 * Retrieval-quality metrics for the eval harness (`codeidx eval`), pure: which ranked hits match which
 * relevant locations, and MRR@10, Recall@1/5/10 and nDCG@10 with binary relevance.
 *
 * Definitions (k = 10 unless stated):
 * - Reciprocal rank (Voorhees, "The TREC-8 Question Answering Track Report", 1999): 1 / rank of the
 *   first relevant hit within the top k, 0 when none; MRR@k is its mean over queries.
 * - Recall@k (Manning, Raghavan & Schütze, "Introduction to Information Retrieval", 2008, §8.3):
 *   |relevant locations found in the top k| / |relevant locations|.
 * - nDCG@k (Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR techniques", ACM TOIS 20(4),
 *   2002), with the log2(i + 1) discount of Burges et al. 2005: DCG@k = Σ_{i=1..k} rel_i / log2(i + 1);
 *   IDCG@k is the DCG of the ideal ranking (min(R, k) relevant hits first); nDCG@k = DCG@k / IDCG@k.
 * A relevant location is credited once: a second chunk of the same function adds nothing (rel_i = 0),
 * so a split function can neither inflate recall above 1 nor nDCG above 1.
 *
 * @module core/retrieval-metrics
 */

/** Where an answer to a query is: a file, optionally narrowed to a line range and/or a symbol. */
export interface RelevantLocation {
  /** Repository ("owner/name"); when absent any repository matches. */
  readonly repo?: string;
  /** Repo-relative POSIX path. */
  readonly path: string;
  /** 1-based inclusive line range; a hit matches when its lines overlap the range. */
  readonly startLine?: number;
  readonly endLine?: number;
  /** Symbol name; used to match only when no line range is given. */
  readonly symbol?: string;
}

/** The fields of a search hit or indexed chunk that location matching reads. */
export interface LocatedChunk {
  readonly repo: string;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol: string | null;
}

/**
 * Whether `chunk` answers `location`: same repo (when given) and path, and then overlapping lines
 * when the location has a line range, else the same symbol when it names one, else any chunk of the file.
 */
export function matchesLocation(chunk: LocatedChunk, location: RelevantLocation): boolean {
  if (location.repo !== undefined && location.repo !== chunk.repo) return false;
  if (location.path !== chunk.path) return false;
  if (location.startLine !== undefined) {
    const end = location.endLine ?? location.startLine;
    return chunk.startLine <= end && chunk.endLine >= location.startLine;
  }
  if (location.symbol !== undefined) return chunk.symbol === location.symbol;
  return true;
}

/** Per-query scores. All in [0, 1]. */
export interface QueryScores {
  readonly reciprocalRank: number;
  readonly recall1: number;
  readonly recall5: number;
  readonly recall10: number;
  readonly ndcg10: number;
}

/** Cut-off of MRR and nDCG. */
export const METRIC_CUTOFF = 10;

/**
 * Scores one ranked list. `matches[i]` lists the indices (into the relevant set) of the relevant
 * locations that the hit at rank i + 1 matches; `relevantCount` is the size of the relevant set (> 0).
 * Ranks beyond 10 are ignored.
 * @throws RangeError when `relevantCount` < 1 (a query with nothing to find has no defined score).
 */
export function scoreRanking(matches: ReadonlyArray<readonly number[]>, relevantCount: number): QueryScores {
  if (!Number.isInteger(relevantCount) || relevantCount < 1) {
    throw new RangeError(`a query needs at least one relevant location, got ${relevantCount}`);
  }
  const credited = new Set<number>();
  let reciprocalRank = 0;
  let dcg = 0;
  const foundAt: number[] = []; // credited count after each rank
  const top = Math.min(matches.length, METRIC_CUTOFF);
  for (let i = 0; i < top; i++) {
    const fresh = (matches[i] ?? []).filter((m) => !credited.has(m));
    if (fresh.length > 0) {
      if (reciprocalRank === 0) reciprocalRank = 1 / (i + 1);
      // Binary gain: a hit is relevant once, even if it covers several locations.
      dcg += 1 / Math.log2(i + 2);
      for (const m of fresh) credited.add(m);
    }
    foundAt.push(credited.size);
  }
  const foundBy = (k: number): number => (top === 0 ? 0 : foundAt[Math.min(k, top) - 1] ?? 0);
  let idcg = 0;
  for (let i = 0; i < Math.min(relevantCount, METRIC_CUTOFF); i++) idcg += 1 / Math.log2(i + 2);
  return {
    reciprocalRank,
    recall1: Math.min(1, foundBy(1) / relevantCount),
    recall5: Math.min(1, foundBy(5) / relevantCount),
    recall10: Math.min(1, foundBy(10) / relevantCount),
    ndcg10: Math.min(1, dcg / idcg),
  };
}

/** Mean scores over queries (the metrics as reported: MRR@10, Recall@1/5/10, nDCG@10). */
export interface MeanScores {
  readonly queries: number;
  readonly mrr10: number;
  readonly recall1: number;
  readonly recall5: number;
  readonly recall10: number;
  readonly ndcg10: number;
}

/** Means of per-query scores. An empty list gives `queries: 0` and NaN means (never a fake 0). */
export function meanScores(scores: readonly QueryScores[]): MeanScores {
  const n = scores.length;
  const mean = (f: (s: QueryScores) => number): number => (n === 0 ? Number.NaN : scores.reduce((a, s) => a + f(s), 0) / n);
  return {
    queries: n,
    mrr10: mean((s) => s.reciprocalRank),
    recall1: mean((s) => s.recall1),
    recall5: mean((s) => s.recall5),
    recall10: mean((s) => s.recall10),
    ndcg10: mean((s) => s.ndcg10),
  };
}

/** For each ranked hit, the indices of the relevant locations it matches (input of `scoreRanking`). */
export function matchRanking(hits: readonly LocatedChunk[], relevant: readonly RelevantLocation[]): number[][] {
  return hits.map((h) => relevant.flatMap((loc, i) => (matchesLocation(h, loc) ? [i] : [])));
}

/** Mean and standard error of a paired difference (the same queries scored two ways). */
export interface PairedDifference {
  /** Mean of a − b over the queries both runs scored. */
  readonly mean: number;
  /** Standard error of that mean: sample standard deviation (n − 1) / √n. NaN when n < 2. */
  readonly se: number;
  /** Queries in both runs. */
  readonly n: number;
}

/**
 * Paired difference of reciprocal ranks, a − b, over the queries both runs scored (matched by `line`).
 * Ranks are 1-based; 0 means no relevant hit in the top k (reciprocal rank 0), as in `EvalRun.perQuery`.
 * Pairing removes the variance between queries, so a difference of MRRs can be told from noise: a
 * mean within about two standard errors of 0 is not a measurable difference (the paired t-test,
 * Smucker, Allan & Carterette, "A Comparison of Statistical Significance Tests for Information
 * Retrieval Evaluation", CIKM 2007).
 */
export function pairedReciprocalRankDifference(
  a: ReadonlyArray<{ line: number; rank: number }>,
  b: ReadonlyArray<{ line: number; rank: number }>,
): PairedDifference {
  const rr = (rank: number): number => (rank === 0 ? 0 : 1 / rank);
  const other = new Map(b.map((q) => [q.line, rr(q.rank)]));
  const diffs: number[] = [];
  for (const q of a) {
    const o = other.get(q.line);
    if (o !== undefined) diffs.push(rr(q.rank) - o);
  }
  const n = diffs.length;
  if (n < 2) return { mean: n === 1 ? (diffs[0] ?? Number.NaN) : Number.NaN, se: Number.NaN, n };
  const mean = diffs.reduce((s, d) => s + d, 0) / n;
  const variance = diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), n };
}
