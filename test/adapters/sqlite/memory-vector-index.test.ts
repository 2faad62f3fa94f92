import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryVectorIndex } from '../../../src/adapters/sqlite/memory-vector-index.js';
import { SqliteVectorStore } from '../../../src/adapters/sqlite/sqlite-vector-store.js';
import { mulberry32 } from '../../../scripts/lib/mulberry32.js';

const root = mkdtempSync(join(tmpdir(), 'codeidx-memindex-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DIMS = 48;

/**
 * Unit vectors clustered around 30 random centres (like sentence embeddings: low intrinsic dimension).
 * With a few huge clusters instead, sign bits cannot tell the members of one cluster apart and
 * the Hamming pre-selection needs far more candidates: the usual caveat of binary quantization.
 */
function clustered(n: number, seed: number, centreSeed = 7): Float32Array[] {
  const centreRand = mulberry32(centreSeed);
  const centres = Array.from({ length: 30 }, () => Float32Array.from({ length: DIMS }, () => centreRand() * 2 - 1));
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rand() * centres.length)] as Float32Array;
    const v = c.map((x) => x + (rand() * 2 - 1) * 0.6);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

function bruteForce(vectors: Float32Array[], q: Float32Array, k: number, ok: (i: number) => boolean = () => true) {
  return vectors
    .map((v, i) => ({ rowid: i + 1, score: cosine(v, q) }))
    .filter((h) => ok(h.rowid - 1))
    .sort((a, b) => b.score - a.score || a.rowid - b.rowid)
    .slice(0, k);
}

describe('MemoryVectorIndex', () => {
  const vectors = clustered(3000, 7);
  const repoOf = (i: number): string => (i % 3 === 0 ? 'acme/other' : 'acme/main');
  const index = MemoryVectorIndex.fromPoints(
    DIMS,
    vectors.map((vector, i) => ({ rowid: i + 1, repo: repoOf(i), ref: 'refs/heads/main', vector })),
  );
  const queries = clustered(20, 99);

  it('scores every eligible point within int8 rounding of the float cosine (exact path)', () => {
    for (const q of queries) {
      const hits = index.search(q, 10, {}, { candidates: 10, exactBelow: 10_000 });
      const truth = bruteForce(vectors, q, 10);
      expect(hits).toHaveLength(10);
      for (const h of hits) expect(Math.abs(h.score - cosine(vectors[h.rowid - 1], q))).toBeLessThan(0.01);
      // Same set up to near-ties of the quantization error.
      const kth = truth[9]?.score ?? 0;
      for (const h of hits) expect(cosine(vectors[h.rowid - 1], q)).toBeGreaterThan(kth - 0.01);
    }
  });

  it('Hamming pre-selection with re-scoring keeps recall@10 high on clustered vectors', () => {
    let found = 0;
    for (const q of queries) {
      const hits = index.search(q, 10, {}, { candidates: 100, exactBelow: 0 });
      const truth = new Set(bruteForce(vectors, q, 10).map((h) => h.rowid));
      found += hits.filter((h) => truth.has(h.rowid)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('honours partition and rowid filters on both paths, never returning other points', () => {
    const q = queries[0];
    const allowed = new Set(Array.from({ length: 50 }, (_, i) => i * 7 + 1));
    for (const exactBelow of [0, 10_000]) {
      const byRepo = index.search(q, 20, { partition: (repo) => repo === 'acme/other' }, { candidates: 40, exactBelow });
      expect(byRepo).toHaveLength(20);
      for (const h of byRepo) expect(repoOf(h.rowid - 1)).toBe('acme/other');
      const byRowid = index.search(q, 100, { rowids: allowed }, { candidates: 5, exactBelow });
      expect(byRowid.map((h) => h.rowid).sort((a, b) => a - b)).toEqual([...allowed].sort((a, b) => a - b));
      const both = index.search(q, 100, { rowids: allowed, partition: (repo) => repo === 'acme/main' }, { candidates: 5, exactBelow });
      expect(both.length).toBeGreaterThan(0);
      for (const h of both) expect(allowed.has(h.rowid) && repoOf(h.rowid - 1) === 'acme/main').toBe(true);
      expect(index.search(q, 5, { partition: () => false }, { candidates: 5, exactBelow })).toEqual([]);
    }
  });

  it('gives score 0 for a zero vector or a zero query, and rejects a query of other dims', () => {
    const small = MemoryVectorIndex.fromPoints(DIMS, [
      { rowid: 1, repo: 'r', ref: 'm', vector: new Float32Array(DIMS) },
      { rowid: 2, repo: 'r', ref: 'm', vector: vectors[0] },
    ]);
    const hits = small.search(vectors[0], 2, {}, { candidates: 2, exactBelow: 0 });
    expect(hits.map((h) => h.rowid)).toEqual([2, 1]);
    expect(hits[1]?.score).toBe(0);
    expect(small.search(new Float32Array(DIMS), 2, {}, { candidates: 2, exactBelow: 10 }).every((h) => h.score === 0)).toBe(true);
    expect(() => small.search(new Float32Array(3), 1, {}, { candidates: 1, exactBelow: 1 })).toThrow(RangeError);
  });

  it("loads from vec0's shadow tables exactly what a vec0 scan returns (deleted slots skipped)", async () => {
    const path = join(root, 'shadow.db');
    const space = { modelId: 'test/model', revision: 'v1', dims: DIMS };
    const store = await SqliteVectorStore.open({ path, space });
    const { makePoint } = await import('../../conformance/vector-store-conformance.js');
    const points = vectors.slice(0, 1500).map((vector, i) =>
      makePoint({
        path: `src/f${i}.ts`,
        text: `t${i}`,
        vector,
        scope: { repo: repoOf(i), ref: i % 2 === 0 ? 'refs/heads/main' : 'refs/heads/dev' },
      }),
    );
    await store.upsert(points);
    await store.deleteByIds(points.filter((_, i) => i % 5 === 0).map((p) => p.id));
    await store.close();
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    try {
      const { index: loaded, how } = MemoryVectorIndex.load(db, 'chunk_vectors', DIMS);
      expect(how).toBe('shadow');
      const scanned = MemoryVectorIndex.fromPoints(
        DIMS,
        db
          .prepare<[], { rowid: number; repo: string; ref: string; embedding: Buffer }>(
            'SELECT rowid, repo, ref, embedding FROM chunk_vectors',
          )
          .all()
          .map((r) => ({
            rowid: r.rowid,
            repo: r.repo,
            ref: r.ref,
            vector: new Float32Array(new Uint8Array(r.embedding).buffer),
          })),
      );
      expect(loaded.size).toBe(1200);
      expect(scanned.size).toBe(1200);
      for (const q of queries.slice(0, 5)) {
        for (const filter of [{}, { partition: (repo: string, ref: string) => repo === 'acme/main' && ref === 'refs/heads/dev' }]) {
          const a = loaded.search(q, 15, filter, { candidates: 15, exactBelow: 100_000 });
          const b = scanned.search(q, 15, filter, { candidates: 15, exactBelow: 100_000 });
          expect(a).toEqual(b);
        }
      }
    } finally {
      db.close();
    }
  });
});
