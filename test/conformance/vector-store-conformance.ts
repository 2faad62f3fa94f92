/**
 * The `VectorStore` conformance suite: every adapter (SQLite, Qdrant) must pass it. It speaks only
 * the port (src/core/ports.ts), with small hand-made 8-dim vectors whose nearest neighbours are known.
 *
 * Usage, in an adapter's test file:
 * ```ts
 * describeVectorStoreConformance('SqliteVectorStore', async (space) => new SqliteVectorStore({ path, space }), cleanup);
 * ```
 *
 * @module test/conformance/vector-store-conformance
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VectorStoreError } from '../../src/core/errors.js';
import { DEFAULT_FUSION, type HybridFusion } from '../../src/core/fusion.js';
import { dirsOf, pointId, sha256Hex } from '../../src/core/identity.js';
import type { VectorStore } from '../../src/core/ports.js';
import {
  emptyCounts,
  type EmbeddingSpace,
  type IndexState,
  type Point,
  type RefScope,
  type SearchFilter,
  type SearchHit,
  type SearchMode,
  type SymbolKind,
} from '../../src/core/types.js';

/** The embedding space of the suite: 8 dims. */
export const CONFORMANCE_SPACE: EmbeddingSpace = { modelId: 'codeidx/conformance', revision: 'v1', dims: 8 };

const DIMS = CONFORMANCE_SPACE.dims;
const MAIN: RefScope = { repo: 'acme/alpha', ref: 'refs/heads/main' };
const DEV: RefScope = { repo: 'acme/alpha', ref: 'refs/heads/dev' };
const OTHER: RefScope = { repo: 'evil/beta', ref: 'refs/heads/main' };

/** Unit vector mostly along `axis`, tilted by `tilt` toward `toward` (so neighbours are ordered by tilt). */
export function axisVector(axis: number, tilt = 0, toward = (axis + 1) % DIMS): Float32Array {
  const v = new Float32Array(DIMS);
  v[axis] = 1;
  v[toward] = (v[toward] ?? 0) + tilt;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

interface PointSpec {
  scope?: RefScope;
  path: string;
  ordinal?: number;
  text: string;
  symbol?: string | null;
  kind?: SymbolKind;
  language?: string;
  vector?: Float32Array | null;
  fileHash?: string;
  /** Overrides the content hash (default: sha256 of path, ordinal and text). */
  contentHash?: string;
  /** Scope line; when given (null included), the point also records its ordinal. */
  scopeLine?: string | null;
}

/** Builds a point with a deterministic id (`pointId`) and `dirs` from `dirsOf`. */
export function makePoint(spec: PointSpec): Point {
  const scope = spec.scope ?? MAIN;
  const ordinal = spec.ordinal ?? 0;
  const contentHash = spec.contentHash ?? sha256Hex(`${spec.path}\u0000${ordinal}\u0000${spec.text}`);
  return {
    id: pointId(scope, spec.path, ordinal, contentHash),
    repo: scope.repo,
    ref: scope.ref,
    commit: 'a'.repeat(40),
    path: spec.path,
    dirs: dirsOf(spec.path),
    language: spec.language ?? 'typescript',
    symbol: spec.symbol === undefined ? null : spec.symbol,
    symbolKind: spec.kind ?? 'function',
    startLine: 1 + ordinal * 10,
    endLine: 10 + ordinal * 10,
    contentHash,
    fileHash: spec.fileHash ?? sha256Hex(`file:${spec.path}`),
    text: spec.text,
    ...(spec.scopeLine !== undefined ? { scope: spec.scopeLine, ordinal } : {}),
    vector: spec.vector === undefined ? axisVector(0) : spec.vector,
  };
}

function state(scope: RefScope, overrides: Partial<IndexState> = {}): IndexState {
  return {
    repo: scope.repo,
    ref: scope.ref,
    commit: 'b'.repeat(40),
    pendingCommit: null,
    model: 'codeidx/conformance@v1',
    chunkerVersion: 3,
    status: 'complete',
    counts: { ...emptyCounts(), filesSeen: 12, chunks: 40, skipped: { binary: 2 } },
    startedAt: '2025-01-02T03:04:05.000Z',
    completedAt: '2025-01-02T03:05:00.000Z',
    ...overrides,
  };
}

const HOSTILE_QUERIES: readonly string[] = [
  '"',
  '""',
  '"unbalanced',
  '*',
  'parse*',
  'NEAR(',
  'NEAR(a b, 2)',
  'AND',
  'a AND OR NOT b',
  '((((',
  ')))',
  '(parse OR',
  'column:value',
  '^start',
  '-minus +plus',
  '{curly} [square]',
  'x'.repeat(10_000),
  'getUser '.repeat(1_250),
  '!@#$%^&*()_+-=[]{};:\'",.<>/?\\|`~',
  '   ',
  '',
  '用户名 获取',
  'пользователь',
  'مستخدم',
  '🙂 emoji 🙂',
  'a\u0000b',
  "'; DROP TABLE chunks; --",
];

/**
 * Registers the conformance suite under `describe(name)`.
 * @param makeStore returns a fresh, empty store of `space` (null = lexical-only); the suite calls `init()`.
 * @param cleanup called after each test with the store (already closed by the suite).
 */
export function describeVectorStoreConformance(
  name: string,
  makeStore: (space: EmbeddingSpace | null) => Promise<VectorStore>,
  cleanup?: (store: VectorStore) => Promise<void>,
): void {
  describe(`VectorStore conformance: ${name}`, () => {
    const opened: VectorStore[] = [];

    async function open(space: EmbeddingSpace | null = CONFORMANCE_SPACE): Promise<VectorStore> {
      const store = await makeStore(space);
      opened.push(store);
      await store.init();
      return store;
    }

    afterEach(async () => {
      for (const store of opened.splice(0)) {
        await store.close();
        await cleanup?.(store);
      }
    });

    function q(text: string, vector: Float32Array | null, mode: SearchMode, k: number, filter: SearchFilter = {}) {
      return { text, vector, mode, k, filter };
    }

    const paths = (hits: readonly SearchHit[]): string[] => hits.map((h) => h.path);

    describe('writes and reads', () => {
      it('starts empty; init is idempotent; reports its space', async () => {
        const store = await open();
        await store.init();
        expect(store.space).toEqual(CONFORMANCE_SPACE);
        expect(await store.count()).toBe(0);
        expect(await store.count(MAIN)).toBe(0);
        expect(await store.indexedFiles(MAIN)).toEqual(new Map());
        expect(await store.getState(MAIN)).toBeNull();
        expect(await store.listStates()).toEqual([]);
      });

      it('upserts and replaces by id, keeping every payload field', async () => {
        const store = await open();
        const p = makePoint({ path: 'src/a.ts', text: 'function alphaWidget() {}', symbol: 'alphaWidget' });
        await store.upsert([p, makePoint({ path: 'src/b.ts', text: 'const beta = 1', vector: axisVector(1) })]);
        expect(await store.count()).toBe(2);
        const [hit] = await store.query(q('alphaWidget', null, 'lexical', 1));
        expect(hit).toMatchObject({
          id: p.id,
          repo: p.repo,
          ref: p.ref,
          commit: p.commit,
          path: p.path,
          language: p.language,
          symbol: 'alphaWidget',
          symbolKind: 'function',
          startLine: p.startLine,
          endLine: p.endLine,
          text: p.text,
        });
        // Same id, new payload: replaced, not duplicated; the old text is no longer searchable.
        await store.upsert([{ ...p, text: 'function gammaGadget() {}', symbol: 'gammaGadget', vector: axisVector(2) }]);
        expect(await store.count()).toBe(2);
        expect(await store.query(q('alphaWidget', null, 'lexical', 5))).toEqual([]);
        const [replaced] = await store.query(q('gammaGadget', null, 'lexical', 5));
        expect(replaced?.id).toBe(p.id);
        const [nearest] = await store.query(q('', axisVector(2), 'semantic', 1));
        expect(nearest?.id).toBe(p.id);
      });

      it('upserting an empty list and deleting nothing are no-ops', async () => {
        const store = await open();
        await store.upsert([]);
        await store.deleteByIds([]);
        await store.deleteByIds(['00000000-0000-4000-8000-000000000000']);
        expect(await store.deleteByPath(MAIN, [])).toBeLessThanOrEqual(0);
        expect(await store.count()).toBe(0);
      });

      it('deletes by ids', async () => {
        const store = await open();
        const pts = [0, 1, 2].map((i) => makePoint({ path: `src/f${i}.ts`, text: `token${i}`, vector: axisVector(i) }));
        await store.upsert(pts);
        await store.deleteByIds([pts[0].id, pts[2].id]);
        expect(await store.count()).toBe(1);
        expect(paths(await store.query(q('', axisVector(0), 'semantic', 10)))).toEqual(['src/f1.ts']);
      });

      it('deletes by path in one scope, keeping keepIds, and leaves other refs and repos alone', async () => {
        const store = await open();
        const a0 = makePoint({ path: 'src/a.ts', ordinal: 0, text: 'one' });
        const a1 = makePoint({ path: 'src/a.ts', ordinal: 1, text: 'two' });
        const a2 = makePoint({ path: 'src/a.ts', ordinal: 2, text: 'three' });
        const b = makePoint({ path: 'src/b.ts', text: 'four' });
        const devA = makePoint({ scope: DEV, path: 'src/a.ts', text: 'one' });
        const otherA = makePoint({ scope: OTHER, path: 'src/a.ts', text: 'one' });
        await store.upsert([a0, a1, a2, b, devA, otherA]);
        const deleted = await store.deleteByPath(MAIN, ['src/a.ts', 'src/missing.ts'], new Set([a1.id]));
        expect([2, -1]).toContain(deleted);
        expect(await store.count(MAIN)).toBe(2);
        expect(await store.count(DEV)).toBe(1);
        expect(await store.count(OTHER)).toBe(1);
        const left = await store.query(q('one two three four', null, 'lexical', 10, { repo: MAIN.repo, ref: MAIN.ref }));
        expect(left.map((h) => h.id).sort()).toEqual([a1.id, b.id].sort());
        expect([1, -1]).toContain(await store.deleteByPath(MAIN, ['src/b.ts']));
        expect(await store.count(MAIN)).toBe(1);
      });

      it('deletes a ref with its state, and only that ref', async () => {
        const store = await open();
        await store.upsert([
          makePoint({ path: 'a.ts', text: 'x1' }),
          makePoint({ scope: DEV, path: 'a.ts', text: 'x1' }),
          makePoint({ scope: OTHER, path: 'a.ts', text: 'x1' }),
        ]);
        await store.putState(state(MAIN));
        await store.putState(state(DEV));
        await store.deleteRef(MAIN);
        expect(await store.count(MAIN)).toBe(0);
        expect(await store.count(DEV)).toBe(1);
        expect(await store.count(OTHER)).toBe(1);
        expect(await store.count()).toBe(2);
        expect(await store.getState(MAIN)).toBeNull();
        expect(await store.getState(DEV)).toEqual(state(DEV));
        expect(await store.query(q('x1', null, 'lexical', 10, { repo: MAIN.repo, ref: MAIN.ref }))).toEqual([]);
      });

      it('lists indexed files with every distinct file hash', async () => {
        const store = await open();
        await store.upsert([
          makePoint({ path: 'src/a.ts', ordinal: 0, text: 'old a', fileHash: 'h-old' }),
          makePoint({ path: 'src/a.ts', ordinal: 1, text: 'new a', fileHash: 'h-new' }),
          makePoint({ path: 'src/a.ts', ordinal: 2, text: 'new a 2', fileHash: 'h-new' }),
          makePoint({ path: 'README.md', text: 'readme', fileHash: 'h-readme', kind: 'text', language: 'markdown' }),
          makePoint({ scope: DEV, path: 'dev-only.ts', text: 'dev', fileHash: 'h-dev' }),
        ]);
        const files = await store.indexedFiles(MAIN);
        expect([...files.keys()].sort()).toEqual(['README.md', 'src/a.ts']);
        expect([...(files.get('src/a.ts') ?? [])].sort()).toEqual(['h-new', 'h-old']);
        expect(files.get('README.md')).toEqual(['h-readme']);
        expect([...(await store.indexedFiles(DEV)).keys()]).toEqual(['dev-only.ts']);
      });

      it('returns the stored chunks of paths, without vectors, scope line and ordinal included', async () => {
        const store = await open();
        const a0 = makePoint({ path: 'src/a.ts', ordinal: 0, text: 'one', scopeLine: 'class A', symbol: 'A', kind: 'class' });
        const a1 = makePoint({ path: 'src/a.ts', ordinal: 1, text: 'two', scopeLine: null });
        const b = makePoint({ path: 'b.py', text: 'bee', language: 'python', scopeLine: 'function b > method c' });
        const legacy = makePoint({ path: 'old.ts', text: 'no scope recorded' });
        await store.upsert([
          a0,
          a1,
          b,
          legacy,
          makePoint({ scope: DEV, path: 'src/a.ts', text: 'dev', scopeLine: null }),
          makePoint({ scope: OTHER, path: 'src/a.ts', text: 'other repo', scopeLine: null }),
        ]);
        const stored = (p: Point, scope: string | null, ordinal: number | null) => ({
          id: p.id,
          path: p.path,
          language: p.language,
          symbol: p.symbol,
          symbolKind: p.symbolKind,
          startLine: p.startLine,
          endLine: p.endLine,
          contentHash: p.contentHash,
          fileHash: p.fileHash,
          text: p.text,
          scope,
          ordinal,
        });
        const got = await store.chunksOfPaths(MAIN, ['src/a.ts', 'b.py', 'old.ts', 'missing.ts']);
        expect([...got.keys()].sort()).toEqual(['b.py', 'old.ts', 'src/a.ts']);
        const byOrdinal = [...(got.get('src/a.ts') ?? [])].sort((x, y) => (x.ordinal ?? -1) - (y.ordinal ?? -1));
        expect(byOrdinal).toEqual([stored(a0, 'class A', 0), stored(a1, null, 1)]);
        expect(got.get('b.py')).toEqual([stored(b, 'function b > method c', 0)]);
        expect(got.get('old.ts')).toEqual([stored(legacy, null, null)]);
        expect((await store.chunksOfPaths(DEV, ['src/a.ts'])).get('src/a.ts')?.map((c) => c.text)).toEqual(['dev']);
        expect(await store.chunksOfPaths(MAIN, [])).toEqual(new Map());
      });

      it('returns stored vectors by content hash, across repos and refs', async () => {
        const store = await open();
        const v = axisVector(3, 0.25);
        await store.upsert([
          makePoint({ path: 'a.ts', text: 'a', contentHash: 'hash-a', vector: v }),
          makePoint({ scope: OTHER, path: 'b.ts', text: 'b', contentHash: 'hash-b', vector: axisVector(5) }),
        ]);
        const found = await store.vectorsByContentHash(['hash-a', 'hash-b', 'hash-missing']);
        expect([...found.keys()].sort()).toEqual(['hash-a', 'hash-b']);
        const got = found.get('hash-a');
        expect(got).toBeInstanceOf(Float32Array);
        expect(got?.length).toBe(DIMS);
        for (let i = 0; i < DIMS; i++) expect(got?.[i]).toBeCloseTo(v[i] ?? NaN, 5);
        expect(await store.vectorsByContentHash([])).toEqual(new Map());
      });

      it('rejects a vector of the wrong dimension', async () => {
        const store = await open();
        const bad = makePoint({ path: 'a.ts', text: 'a', vector: new Float32Array(DIMS + 1).fill(0.1) });
        await expect(store.upsert([bad])).rejects.toBeInstanceOf(VectorStoreError);
        expect(await store.count()).toBe(0);
      });

      it('counts points per scope', async () => {
        const store = await open();
        await store.upsert([
          makePoint({ path: 'a.ts', ordinal: 0, text: 'a' }),
          makePoint({ path: 'a.ts', ordinal: 1, text: 'b' }),
          makePoint({ scope: DEV, path: 'a.ts', text: 'a' }),
          makePoint({ scope: OTHER, path: 'a.ts', text: 'a' }),
        ]);
        expect(await store.count()).toBe(4);
        expect(await store.count(MAIN)).toBe(2);
        expect(await store.count(DEV)).toBe(1);
        expect(await store.count({ repo: 'nobody/none', ref: 'refs/heads/main' })).toBe(0);
      });
    });

    describe('index state', () => {
      it('round-trips state and lists states of all repos or one', async () => {
        const store = await open();
        const s1 = state(MAIN);
        const s2 = state(DEV, { status: 'in_progress', commit: null, pendingCommit: 'c'.repeat(40), completedAt: null });
        const s3 = state(OTHER, { model: 'none' });
        await store.putState(s1);
        await store.putState(s2);
        await store.putState(s3);
        expect(await store.getState(MAIN)).toEqual(s1);
        expect(await store.getState(DEV)).toEqual(s2);
        const key = (s: IndexState): string => `${s.repo} ${s.ref}`;
        expect((await store.listStates()).map(key).sort()).toEqual([s1, s2, s3].map(key).sort());
        expect((await store.listStates(MAIN.repo)).map(key).sort()).toEqual([s1, s2].map(key).sort());
        expect(await store.listStates('nobody/none')).toEqual([]);
        // Overwrite.
        const done = state(DEV, { commit: 'd'.repeat(40) });
        await store.putState(done);
        expect(await store.getState(DEV)).toEqual(done);
        expect(await store.listStates()).toHaveLength(3);
      });
    });

    describe('query', () => {
      /** A small corpus: one point per axis, with distinctive words and symbols. */
      async function corpus(store: VectorStore): Promise<Point[]> {
        const pts = [
          makePoint({ path: 'src/core/parser.ts', text: 'export function parseConfig(input) { return tokens }', symbol: 'parseConfig', vector: axisVector(0) }),
          makePoint({ path: 'src/core/parser.ts', ordinal: 1, text: 'class ConfigLoader { load() {} }', symbol: 'ConfigLoader', kind: 'class', vector: axisVector(0, 0.3) }),
          makePoint({ path: 'src/corelib/util.ts', text: 'function parseConfigLegacy() { /* old parser */ }', symbol: 'parseConfigLegacy', vector: axisVector(0, 0.1) }),
          makePoint({ path: 'src/core/sub/deep.ts', text: 'function deepHelper() { walk tree }', symbol: 'deepHelper', vector: axisVector(0, 0.5) }),
          makePoint({ path: 'src/core', text: 'odd file named like the folder', symbol: null, kind: 'text', language: 'text', vector: axisVector(0, 0.7) }),
          makePoint({ path: 'lib/render.py', text: 'def render_page(template): pass', symbol: 'render_page', language: 'python', vector: axisVector(4) }),
          makePoint({ path: 'docs/guide.md', text: 'How to configure the parser', symbol: null, kind: 'text', language: 'markdown', vector: axisVector(6) }),
          makePoint({ scope: DEV, path: 'src/core/parser.ts', text: 'export function parseConfig(input) { dev version }', symbol: 'parseConfig', vector: axisVector(0, 0.05) }),
          // Another tenant, nearer to every query than anything of acme/alpha.
          makePoint({ scope: OTHER, path: 'src/core/parser.ts', text: 'export function parseConfig(secret) { leaked }', symbol: 'parseConfig', vector: axisVector(0) }),
        ];
        await store.upsert(pts);
        return pts;
      }

      it('semantic: nearest first, scores descending', async () => {
        const store = await open();
        await corpus(store);
        const hits = await store.query(q('', axisVector(0), 'semantic', 4, { repo: MAIN.repo, ref: MAIN.ref }));
        expect(paths(hits)).toEqual(['src/core/parser.ts', 'src/corelib/util.ts', 'src/core/parser.ts', 'src/core/sub/deep.ts']);
        expect(hits[1]?.symbol).toBe('parseConfigLegacy');
        for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
        expect(hits[0].score).toBeCloseTo(1, 4);
      });

      it('lexical: code-aware tokens, symbol match first, scores descending', async () => {
        const store = await open();
        await corpus(store);
        const filter = { repo: MAIN.repo, ref: MAIN.ref };
        const hits = await store.query(q('render page', null, 'lexical', 5, filter));
        expect(hits[0]?.symbol).toBe('render_page');
        const camel = await store.query(q('config loader', null, 'lexical', 5, filter));
        expect(camel[0]?.symbol).toBe('ConfigLoader');
        const whole = await store.query(q('parseConfigLegacy', null, 'lexical', 5, filter));
        expect(whole[0]?.symbol).toBe('parseConfigLegacy');
        for (let i = 1; i < whole.length; i++) expect(whole[i].score).toBeLessThanOrEqual(whole[i - 1].score);
        expect(await store.query(q('zzzunknownword', null, 'lexical', 5, filter))).toEqual([]);
      });

      it('hybrid: fuses both retrievers, a hit of both ranks first', async () => {
        const store = await open();
        await corpus(store);
        const filter = { repo: MAIN.repo, ref: MAIN.ref };
        // Lexically only the markdown guide says "configure"; semantically axis 4 is render_page.
        const hits = await store.query(q('render configure', axisVector(4), 'hybrid', 3, filter));
        expect(hits[0]?.symbol).toBe('render_page');
        expect(paths(hits)).toContain('docs/guide.md');
        for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
        // Hybrid with no lexical token is the semantic ranking.
        const semanticOnly = await store.query(q('!!!', axisVector(0), 'hybrid', 3, filter));
        const semantic = await store.query(q('', axisVector(0), 'semantic', 3, filter));
        expect(semanticOnly.map((h) => h.id)).toEqual(semantic.map((h) => h.id));
      });

      it('hybrid: RRF k and per-list weights rank and score as core/fusion says', async () => {
        const store = await open();
        await corpus(store);
        const filter = { repo: MAIN.repo, ref: MAIN.ref };
        // "configure" is only in the markdown guide (lexical rank 1); axis 4 is render_page (semantic
        // rank 1), which the lexical list does not have.
        const query = (fusion: HybridFusion) => store.query({ ...q('configure', axisVector(4), 'hybrid', 3, filter), fusion });
        const lexical = await store.query(q('configure', null, 'lexical', 3, filter));
        expect(paths(lexical)).toEqual(['docs/guide.md']);
        // Equal weights, the paper's k: the guide is in both lists and wins.
        const paper = await query(DEFAULT_FUSION);
        expect(paths(paper)[0]).toBe('docs/guide.md');
        // Lexical weight 0.1, k = 1: render_page scores 1 / (1 + 1); the guide at most
        // 1 / (1 + 2) + 1 / (1 + 1 / 0.1).
        const semanticHeavy = await query({ k: 1, weights: { semantic: 1, lexical: 0.1 } });
        expect(semanticHeavy[0]?.symbol).toBe('render_page');
        expect(semanticHeavy[0]?.score).toBeCloseTo(0.5, 5);
        const guide = semanticHeavy.find((h) => h.path === 'docs/guide.md');
        if (guide) expect(guide.score).toBeLessThanOrEqual(1 / 3 + 1 / 11 + 1e-6);
        // Semantic weight 0.1: the guide scores 1 / (1 + 1) plus its semantic share, render_page 1 / (1 + 10).
        const lexicalHeavy = await query({ k: 1, weights: { semantic: 0.1, lexical: 1 } });
        expect(lexicalHeavy[0]?.path).toBe('docs/guide.md');
        expect(lexicalHeavy.find((h) => h.symbol === 'render_page')?.score).toBeCloseTo(1 / 11, 5);
      });

      const modes: readonly SearchMode[] = ['semantic', 'lexical', 'hybrid'];
      for (const mode of modes) {
        describe(`${mode} filters`, () => {
          const text = 'parseConfig parser config render page configure helper folder';
          const vec = axisVector(0);

          it('isolates tenants: repo A never returns repo B', async () => {
            const store = await open();
            await corpus(store);
            const a = await store.query(q(text, vec, mode, 100, { repo: MAIN.repo }));
            expect(a.length).toBeGreaterThan(0);
            expect(a.every((h) => h.repo === MAIN.repo)).toBe(true);
            expect(a.some((h) => h.text.includes('leaked'))).toBe(false);
            const b = await store.query(q(text, vec, mode, 100, { repo: OTHER.repo }));
            expect(b.map((h) => h.repo)).toEqual([OTHER.repo]);
            expect(await store.query(q(text, vec, mode, 100, { repo: 'nobody/none' }))).toEqual([]);
          });

          it('filters by ref', async () => {
            const store = await open();
            await corpus(store);
            const dev = await store.query(q(text, vec, mode, 100, { repo: DEV.repo, ref: DEV.ref }));
            expect(dev.map((h) => h.text)).toEqual(['export function parseConfig(input) { dev version }']);
          });

          it('filters by path prefix on folder boundaries ("src/core" never matches "src/corelib")', async () => {
            const store = await open();
            await corpus(store);
            const expected = ['src/core', 'src/core/parser.ts', 'src/core/parser.ts', 'src/core/sub/deep.ts'];
            for (const pathPrefix of ['src/core', 'src/core/', './src/core']) {
              const hits = await store.query(q(`${text} odd file tree`, vec, mode, 100, { ...MAIN, pathPrefix }));
              const got = paths(hits).sort();
              // "src/core/" names a folder; whether it also matches a file named "src/core" is the adapter's choice.
              if (pathPrefix.endsWith('/')) expect(got.filter((p) => p !== 'src/core')).toEqual(expected.slice(1));
              else expect(got).toEqual(expected);
            }
            const sub = await store.query(q(`${text} deep walk tree`, vec, mode, 100, { ...MAIN, pathPrefix: 'src/core/sub' }));
            expect(paths(sub)).toEqual(['src/core/sub/deep.ts']);
            const file = await store.query(q(`${text} deep walk tree`, vec, mode, 100, { ...MAIN, pathPrefix: 'src/core/sub/deep.ts' }));
            expect(paths(file)).toEqual(['src/core/sub/deep.ts']);
            const lib = await store.query(q(text, vec, mode, 100, { ...MAIN, pathPrefix: 'src/corelib' }));
            expect(paths(lib)).toEqual(['src/corelib/util.ts']);
            // Wildcards of LIKE/GLOB are plain characters in a prefix.
            for (const pathPrefix of ['src/%', 'src/_ore', 'src/*', 'src/c?re']) {
              expect(await store.query(q(text, vec, mode, 100, { ...MAIN, pathPrefix }))).toEqual([]);
            }
          });

          it('filters by language and symbol kind', async () => {
            const store = await open();
            await corpus(store);
            const py = await store.query(q(text, vec, mode, 100, { ...MAIN, language: 'python' }));
            expect(paths(py)).toEqual(['lib/render.py']);
            const classes = await store.query(q(text, vec, mode, 100, { ...MAIN, symbolKind: 'class' }));
            expect(classes.map((h) => h.symbol)).toEqual(['ConfigLoader']);
            const none = await store.query(q(text, vec, mode, 100, { ...MAIN, language: 'python', symbolKind: 'class' }));
            expect(none).toEqual([]);
          });

          it('applies filters before top-k: a selective filter still returns k hits', async () => {
            const store = await open();
            // 300 points of another tenant and language, all nearer and lexically richer than the 3 targets.
            const noise = Array.from({ length: 300 }, (_, i) =>
              makePoint({ scope: OTHER, path: `noise/n${i}.ts`, text: 'needle needle needle', symbol: 'needle', vector: axisVector(7, i / 1000) }),
            );
            const targets = [0, 1, 2].map((i) =>
              makePoint({ path: `keep/t${i}.go`, text: `a needle in file ${i}`, language: 'go', vector: axisVector(7, 0.5 + i / 10) }),
            );
            await store.upsert([...noise, ...targets]);
            for (const filter of [{ repo: MAIN.repo }, { language: 'go' }, { pathPrefix: 'keep' }]) {
              const hits = await store.query(q('needle', axisVector(7), mode, 3, filter));
              expect(hits.map((h) => h.id).sort()).toEqual(targets.map((t) => t.id).sort());
            }
          });
        });
      }

      it('rejects k out of 1..1000 and honours k', async () => {
        const store = await open();
        await corpus(store);
        for (const k of [0, -1, 1.5, 1001, Number.NaN]) {
          await expect(store.query(q('parse', axisVector(0), 'hybrid', k))).rejects.toBeInstanceOf(VectorStoreError);
        }
        for (const mode of modes) {
          expect(await store.query(q('parse config', axisVector(0), mode, 1))).toHaveLength(1);
          const all = await store.query(q('parse config parser render page configure folder helper', axisVector(0), mode, 1000));
          expect(all.length).toBeGreaterThan(1);
          expect(all.length).toBeLessThanOrEqual(9);
          expect(new Set(all.map((h) => h.id)).size).toBe(all.length);
        }
      });

      it('survives hostile lexical queries in lexical and hybrid modes', async () => {
        const store = await open();
        await corpus(store);
        for (const text of HOSTILE_QUERIES) {
          for (const mode of ['lexical', 'hybrid'] as const) {
            const hits = await store.query(q(text, axisVector(0), mode, 5, { repo: MAIN.repo }));
            expect(Array.isArray(hits)).toBe(true);
            expect(hits.every((h) => h.repo === MAIN.repo)).toBe(true);
          }
        }
        // Operators are searched as words, not interpreted: "AND" finds nothing here, no error.
        expect(await store.query(q('AND', null, 'lexical', 5))).toEqual([]);
        // A query with no lexical token gives an empty lexical result.
        expect(await store.query(q('!!! ??? ***', null, 'lexical', 5))).toEqual([]);
        // A hostile query still finds its real words.
        const found = await store.query(q('"render_page* NEAR( (', null, 'lexical', 5, { repo: MAIN.repo }));
        expect(found[0]?.symbol).toBe('render_page');
      });

      it('rejects semantic mode without a query vector', async () => {
        const store = await open();
        await corpus(store);
        await expect(store.query(q('parse', null, 'semantic', 5))).rejects.toBeInstanceOf(VectorStoreError);
        // Hybrid without a vector degrades to lexical.
        const hybrid = await store.query(q('render page', null, 'hybrid', 5));
        const lexical = await store.query(q('render page', null, 'lexical', 5));
        expect(hybrid.map((h) => h.id)).toEqual(lexical.map((h) => h.id));
      });
    });

    describe('lexical-only store (space null)', () => {
      it('stores points without vectors and searches lexically; semantic is an error; hybrid degrades to lexical', async () => {
        const store = await open(null);
        expect(store.space).toBeNull();
        await store.upsert([
          makePoint({ path: 'src/a.ts', text: 'function fetchUserName() {}', symbol: 'fetchUserName', vector: null }),
          makePoint({ path: 'src/b.ts', text: 'function other() {}', symbol: 'other', vector: null }),
          makePoint({ scope: OTHER, path: 'src/a.ts', text: 'function fetchUserName() {}', symbol: 'fetchUserName', vector: null }),
        ]);
        expect(await store.count()).toBe(3);
        const lexical = await store.query(q('user name', null, 'lexical', 5, { repo: MAIN.repo }));
        expect(paths(lexical)).toEqual(['src/a.ts']);
        const hybrid = await store.query(q('user name', null, 'hybrid', 5, { repo: MAIN.repo }));
        expect(hybrid.map((h) => h.id)).toEqual(lexical.map((h) => h.id));
        await expect(store.query(q('user name', null, 'semantic', 5))).rejects.toBeInstanceOf(VectorStoreError);
        expect(await store.vectorsByContentHash([lexical[0] ? 'x' : 'y'])).toEqual(new Map());
        expect(await store.deleteByPath(MAIN, ['src/a.ts'])).not.toBe(0);
        expect(await store.count(MAIN)).toBe(1);
      });
    });
  });
}
