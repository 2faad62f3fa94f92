import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION, qdrantRrfK, reciprocalRankFusion, RRF_K } from '../../src/core/fusion.js';

const fuse = (lists: string[][], k?: number, weights?: number[]) =>
  reciprocalRankFusion(lists, (x) => x, 10, k, weights).map(({ item, score }) => [item, score] as const);

describe('reciprocalRankFusion', () => {
  it("is the paper's Σ 1 / (k + rank) with k = 60 by default", () => {
    const out = fuse([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    expect(out.map(([id]) => id)).toEqual(['b', 'a', 'c']);
    expect(out[0]?.[1]).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(out[1]?.[1]).toBeCloseTo(1 / 61, 12);
    expect(DEFAULT_FUSION).toEqual({ k: RRF_K, weights: { semantic: 1, lexical: 1 } });
  });

  it('stretches the ranks of a list by 1 / weight: 1 / (k + rank / w)', () => {
    // With weight 0.5 on the second list, its rank 1 counts like rank 2.
    const out = fuse([['a'], ['b']], 1, [1, 0.5]);
    expect(out).toEqual([
      ['a', 1 / 2],
      ['b', 1 / 3],
    ]);
    // A list of weight 2: its rank 4 equals rank 2 of a weight-1 list.
    const [x] = fuse([['p', 'q', 'r', 's']], 60, [2]).filter(([id]) => id === 's');
    expect(x?.[1]).toBeCloseTo(1 / (60 + 2), 12);
  });

  it('ignores a list whose weight is not above 0, and keeps first-seen order on ties', () => {
    expect(fuse([['a'], ['b']], 60, [0, 1]).map(([id]) => id)).toEqual(['b']);
    expect(fuse([['a'], ['b']]).map(([id]) => id)).toEqual(['a', 'b']);
  });

  it("gives Qdrant's k: its position score is 1 / (rank / w + k − 1)", () => {
    // Qdrant's `position_score(p, k, w) = 1 / ((p + 1) / w + k - 1)` with 0-based p.
    const qdrant = (p: number, k: number, w: number) => 1 / ((p + 1) / w + k - 1);
    for (const [k, w] of [
      [60, 1],
      [1, 0.5],
      [0, 2],
    ] as const) {
      const ours = fuse([['a', 'b', 'c']], k, [w]);
      ours.forEach(([, score], p) => expect(score).toBeCloseTo(qdrant(p, qdrantRrfK(k), w), 12));
    }
  });
});
