import { describe, expect, it } from 'vitest';
import {
  matchesLocation,
  matchRanking,
  meanScores,
  pairedReciprocalRankDifference,
  scoreRanking,
} from '../../src/core/retrieval-metrics.js';

const chunk = (path: string, startLine: number, endLine: number, symbol: string | null = null, repo = 'o/r') => ({ repo, path, startLine, endLine, symbol });

describe('matchesLocation', () => {
  it('matches by overlapping lines when a range is given', () => {
    expect(matchesLocation(chunk('a.go', 10, 20), { path: 'a.go', startLine: 20, endLine: 30 })).toBe(true);
    expect(matchesLocation(chunk('a.go', 10, 19), { path: 'a.go', startLine: 20, endLine: 30 })).toBe(false);
    expect(matchesLocation(chunk('b.go', 10, 20), { path: 'a.go', startLine: 10, endLine: 20 })).toBe(false);
  });
  it('a single startLine is a one-line range', () => {
    expect(matchesLocation(chunk('a.go', 5, 9), { path: 'a.go', startLine: 9 })).toBe(true);
    expect(matchesLocation(chunk('a.go', 5, 8), { path: 'a.go', startLine: 9 })).toBe(false);
  });
  it('matches by symbol without a range, by path alone without either, and checks the repo when given', () => {
    expect(matchesLocation(chunk('a.go', 1, 2, 'Parse'), { path: 'a.go', symbol: 'Parse' })).toBe(true);
    expect(matchesLocation(chunk('a.go', 1, 2, 'Other'), { path: 'a.go', symbol: 'Parse' })).toBe(false);
    expect(matchesLocation(chunk('a.go', 1, 2), { path: 'a.go' })).toBe(true);
    expect(matchesLocation(chunk('a.go', 1, 2), { path: 'a.go', repo: 'x/y' })).toBe(false);
  });
});

describe('scoreRanking (hand-computed)', () => {
  it('one relevant location found at rank 3', () => {
    const s = scoreRanking([[], [], [0], [], []], 1);
    expect(s.reciprocalRank).toBeCloseTo(1 / 3, 12);
    expect(s.recall1).toBe(0);
    expect(s.recall5).toBe(1);
    expect(s.recall10).toBe(1);
    // DCG = 1/log2(4) = 0.5; IDCG = 1/log2(2) = 1.
    expect(s.ndcg10).toBeCloseTo(0.5, 12);
  });
  it('two relevant locations at ranks 1 and 4', () => {
    const s = scoreRanking([[0], [], [], [1]], 2);
    expect(s.reciprocalRank).toBe(1);
    expect(s.recall1).toBe(0.5);
    expect(s.recall5).toBe(1);
    // DCG = 1 + 1/log2(5) = 1.430677; IDCG = 1 + 1/log2(3) = 1.630930.
    expect(s.ndcg10).toBeCloseTo((1 + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)), 12);
    expect(s.ndcg10).toBeCloseTo(0.877215, 5);
  });
  it('a second chunk of the same location earns nothing (no recall or nDCG above 1)', () => {
    const s = scoreRanking([[0], [0], [0]], 1);
    expect(s.recall10).toBe(1);
    expect(s.ndcg10).toBe(1);
  });
  it('hits past rank 10 do not count', () => {
    const matches: number[][] = Array.from({ length: 11 }, () => []);
    matches[10] = [0];
    const s = scoreRanking(matches, 1);
    expect(s).toEqual({ reciprocalRank: 0, recall1: 0, recall5: 0, recall10: 0, ndcg10: 0 });
  });
  it('an empty ranking scores 0, and no relevant location is an error', () => {
    expect(scoreRanking([], 3).recall10).toBe(0);
    expect(() => scoreRanking([[0]], 0)).toThrow(RangeError);
  });
});

describe('meanScores and matchRanking', () => {
  it('averages per-query scores', () => {
    const m = meanScores([scoreRanking([[0]], 1), scoreRanking([[], [0]], 1)]);
    expect(m.queries).toBe(2);
    expect(m.mrr10).toBeCloseTo(0.75, 12);
    expect(m.recall1).toBeCloseTo(0.5, 12);
    expect(m.ndcg10).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
  });
  it('no queries gives NaN, not a fake zero', () => {
    expect(Number.isNaN(meanScores([]).mrr10)).toBe(true);
  });
  it('maps hits to the relevant locations they match', () => {
    const hits = [chunk('a.go', 1, 5), chunk('b.go', 1, 5), chunk('a.go', 6, 9)];
    expect(matchRanking(hits, [{ path: 'a.go', startLine: 7 }, { path: 'b.go' }])).toEqual([[], [1], [0]]);
  });
});

describe('pairedReciprocalRankDifference', () => {
  it('is the mean and standard error of per-query differences of 1/rank, over the queries both runs scored', () => {
    // Reciprocal ranks a: 1, 1/2, 0, 1/4 (line 9 only in a); b: 1/2, 1/2, 1/5.
    const a = [
      { line: 1, rank: 1 },
      { line: 2, rank: 2 },
      { line: 3, rank: 0 },
      { line: 9, rank: 4 },
    ];
    const b = [
      { line: 3, rank: 5 },
      { line: 1, rank: 2 },
      { line: 2, rank: 2 },
    ];
    const d = pairedReciprocalRankDifference(a, b);
    // Differences: 0.5, 0, -0.2 → mean 0.1; sample variance ((0.4)² + (0.1)² + (0.3)²) / 2 = 0.13.
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.se).toBeCloseTo(Math.sqrt(0.13 / 3), 12);
    const reversed = pairedReciprocalRankDifference(b, a);
    expect(reversed.mean).toBeCloseTo(-0.1, 12);
    expect(reversed.se).toBeCloseTo(d.se, 12);
  });

  it('gives NaN for the standard error with fewer than two shared queries, never a made-up 0', () => {
    expect(pairedReciprocalRankDifference([{ line: 1, rank: 1 }], [{ line: 1, rank: 2 }])).toEqual({ mean: 0.5, se: Number.NaN, n: 1 });
    const none = pairedReciprocalRankDifference([{ line: 1, rank: 1 }], [{ line: 2, rank: 1 }]);
    expect(none.n).toBe(0);
    expect(none.mean).toBeNaN();
  });
});
