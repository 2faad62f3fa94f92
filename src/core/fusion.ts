/**
 * Reciprocal Rank Fusion (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
 * Condorcet and individual Rank Learning Methods", SIGIR 2009): score(d) = Σ 1 / (k + rank(d)),
 * rank 1-based, over every ranked list that contains d. k = 60 is the paper's constant and
 * Qdrant's default for its server-side RRF.
 *
 * @module core/fusion
 */

/** The RRF constant k of the paper (and Qdrant's default). */
export const RRF_K = 60;

/**
 * Fuses ranked lists of items by RRF. Each list is best-first. Items are identified by `idOf`;
 * the first occurrence of an item supplies the returned object. Ties keep the order in which items
 * were first seen (lists earlier in `lists` win), so the result is deterministic.
 *
 * @returns items with their fused score, best first, at most `limit`.
 */
export function reciprocalRankFusion<T>(
  lists: ReadonlyArray<readonly T[]>,
  idOf: (item: T) => string,
  limit: number,
  k: number = RRF_K,
): Array<{ item: T; score: number }> {
  const fused = new Map<string, { item: T; score: number; order: number }>();
  let order = 0;
  for (const list of lists) {
    list.forEach((item, index) => {
      const id = idOf(item);
      const contribution = 1 / (k + index + 1);
      const entry = fused.get(id);
      if (entry) entry.score += contribution;
      else fused.set(id, { item, score: contribution, order: order++ });
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map(({ item, score }) => ({ item, score }));
}
