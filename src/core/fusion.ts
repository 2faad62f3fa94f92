/**
 * Reciprocal Rank Fusion (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
 * Condorcet and individual Rank Learning Methods", SIGIR 2009): score(d) = Σ 1 / (k + rank(d)),
 * rank 1-based, over every ranked list that contains d.
 *
 * Weighted form (as Qdrant weighs its prefetches, `lib/segment/src/common/reciprocal_rank_fusion.rs`):
 * a list of weight w contributes 1 / (k + rank / w), so a weight of 2 makes its rank 4 count like rank 2
 * of a weight-1 list. w = 1 is the paper's formula.
 *
 * @module core/fusion
 */

/** The RRF constant k of the paper, the default of hybrid search. */
export const RRF_K = 60;

/** Per-retriever weights of hybrid search (see `reciprocalRankFusion`). */
export interface FusionWeights {
  /** Weight of the dense (kNN) list. */
  readonly semantic: number;
  /** Weight of the lexical (BM25) list. */
  readonly lexical: number;
}

/**
 * How hybrid search fuses its kNN and BM25 lists: RRF with constant `k` (an integer ≥ 0) and per-list
 * `weights` (finite, > 0). A model may carry its own (`ModelInfo.fusion`, from `codeidx-model.json`),
 * tuned on a validation suite; otherwise `DEFAULT_FUSION` applies.
 */
export interface HybridFusion {
  readonly k: number;
  readonly weights: FusionWeights;
}

/** The paper's RRF: k = 60, both lists weighted 1. */
export const DEFAULT_FUSION: HybridFusion = { k: RRF_K, weights: { semantic: 1, lexical: 1 } };

/**
 * Fuses ranked lists of items by (weighted) RRF. Each list is best-first. Items are identified by
 * `idOf`; the first occurrence of an item supplies the returned object. Ties keep the order in which
 * items were first seen (lists earlier in `lists` win), so the result is deterministic.
 *
 * @param k the RRF constant (default `RRF_K`).
 * @param weights one weight per list (default 1 each); a list whose weight is not > 0 contributes nothing.
 * @returns items with their fused score Σ 1 / (k + rank / w), best first, at most `limit`.
 */
export function reciprocalRankFusion<T>(
  lists: ReadonlyArray<readonly T[]>,
  idOf: (item: T) => string,
  limit: number,
  k: number = RRF_K,
  weights?: readonly number[],
): Array<{ item: T; score: number }> {
  const fused = new Map<string, { item: T; score: number; order: number }>();
  let order = 0;
  lists.forEach((list, li) => {
    const weight = weights?.[li] ?? 1;
    if (!(weight > 0)) return;
    list.forEach((item, index) => {
      const id = idOf(item);
      const contribution = 1 / (k + (index + 1) / weight);
      const entry = fused.get(id);
      if (entry) entry.score += contribution;
      else fused.set(id, { item, score: contribution, order: order++ });
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map(({ item, score }) => ({ item, score }));
}

/**
 * The `k` to send to Qdrant's `rrf` query for the paper's k. Qdrant scores the item at 0-based
 * position p of a list of weight w as 1 / ((p + 1) / w + k − 1) (`position_score` in
 * `lib/segment/src/common/reciprocal_rank_fusion.rs`), i.e. 1 / (rank / w + k − 1): one less than
 * the paper's constant. Sending k + 1 gives the scores of `reciprocalRankFusion`, so both stores rank
 * alike.
 */
export function qdrantRrfK(k: number): number {
  return k + 1;
}
