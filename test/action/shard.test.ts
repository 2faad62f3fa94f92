import { describe, expect, it } from 'vitest';
import { inShard, parseShard } from '../../src/action/shard.js';

describe('shards', () => {
  it('parses i/n and rejects the rest', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard(' 4 / 4 ')).toEqual({ index: 4, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '1/257', 'a/b', '1', '-1/2'])
      expect(typeof parseShard(bad)).toBe('string');
  });

  it('puts every path in exactly one shard, the same way every time, roughly balanced', () => {
    const paths = Array.from({ length: 4000 }, (_, i) => `src/dir${i % 37}/file-${i}.ts`);
    const count = 4;
    const sizes = new Array<number>(count).fill(0);
    for (const p of paths) {
      const owners = [1, 2, 3, 4].filter((index) => inShard(p, { index, count }));
      expect(owners).toHaveLength(1);
      sizes[owners[0] - 1]++;
    }
    // 4000 paths in 4 shards: each within 10% of 1000 (a uniform hash gives ±~3% at 2 sigma).
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(100);
    // Deterministic: a known path always lands in the same shard.
    const first = [1, 2, 3, 4].find((index) => inShard('src/core/index-pipeline.ts', { index, count }));
    expect([1, 2, 3, 4].find((index) => inShard('src/core/index-pipeline.ts', { index, count }))).toBe(first);
  });
});
