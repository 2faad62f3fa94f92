import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  documentSparseVector,
  querySparseVector,
  tokenIndex,
} from '../../../src/adapters/qdrant/bm25-sparse-vector.js';
import {
  QdrantVectorStore,
  collectionNameFor,
  searchFilterToQdrant,
  type QdrantVectorStoreOptions,
} from '../../../src/adapters/qdrant/qdrant-vector-store.js';
import { openSourceReader } from '../../../src/adapters/fs/open-source-reader.js';
import { TreeSitterChunker } from '../../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { ConfigError, VectorStoreError } from '../../../src/core/errors.js';
import { indexTree } from '../../../src/core/index-pipeline.js';
import type { Logger } from '../../../src/core/ports.js';
import { estimateTokens } from '../../../src/core/token-budget.js';
import { emptyCounts, type EmbeddingSpace, type IndexState, type RefScope } from '../../../src/core/types.js';
import { CONFORMANCE_SPACE, axisVector, makePoint } from '../../conformance/vector-store-conformance.js';
import { HashEmbedder } from '../../fakes/hash-embedder.js';
import { FakeQdrantServer, type RecordedRequest } from './qdrant-fake-server.js';

const MAIN: RefScope = { repo: 'acme/alpha', ref: 'refs/heads/main' };
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let fake: FakeQdrantServer;
let counter = 0;
const opened: QdrantVectorStore[] = [];

beforeAll(async () => {
  fake = await FakeQdrantServer.start();
});

afterEach(() => {
  fake.clearFaults();
});

afterAll(async () => {
  await fake.close();
  expect(fake.validationErrors).toEqual([]);
  expect(fake.responseErrors).toEqual([]);
});

function newStore(options: Partial<QdrantVectorStoreOptions> = {}): QdrantVectorStore {
  const store = new QdrantVectorStore({
    url: fake.url,
    space: CONFORMANCE_SPACE,
    collectionPrefix: `spec${++counter}`,
    retryMinDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
  opened.push(store);
  return store;
}

/** Requests sent from `from` (an index into fake.requests) on, optionally of one operation. */
function since(from: number, operationId?: string): RecordedRequest[] {
  return fake.requests.slice(from).filter((r) => operationId === undefined || r.operationId === operationId);
}

function state(scope: RefScope, overrides: Partial<IndexState> = {}): IndexState {
  return {
    repo: scope.repo,
    ref: scope.ref,
    commit: 'b'.repeat(40),
    pendingCommit: null,
    model: 'codeidx/conformance@v1',
    chunkerVersion: 1,
    status: 'complete',
    counts: emptyCounts(),
    startedAt: '2025-01-02T03:04:05.000Z',
    completedAt: '2025-01-02T03:05:00.000Z',
    ...overrides,
  };
}

describe('OpenAPI validation in the fake (the guard the other tests rely on)', () => {
  it('answers 400 to requests that break the schema, records them, and accepts the valid form', async () => {
    const validator = await FakeQdrantServer.start();
    try {
      const send = (method: string, url: string, body?: unknown) =>
        fetch(`${validator.url}${url}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const bad: Array<[string, string, unknown]> = [
        ['POST', '/collections/c/points/query', { query: [1, 2], with_vectors: true }], // misspelt key
        ['PUT', '/collections/c/points?wait=true', { points: [{ id: 'chunk-1', vector: {} }] }], // id not uuid/uint
        ['PUT', '/collections/c/points?wait=yes', { points: [] }], // wait not boolean
        ['PUT', '/collections/c/points?durable=true', { points: [] }], // unknown query parameter
        ['POST', '/collections/c', {}], // no such method
        ['POST', '/collections/c/points/nowhere', {}], // no such path
        ['PUT', '/collections/c', { vectors: { dense: { size: 8, distance: 'cosine' } } }], // enum is "Cosine"
        [
          'POST',
          '/collections/c/points/scroll',
          { filter: { must: [{ key: 'repo', match: { any: 'x' } }] } },
        ],
      ];
      for (const [method, url, body] of bad) {
        const res = await send(method, url, body);
        expect(res.status, `${method} ${url}`).toBe(400);
      }
      expect(validator.validationErrors).toHaveLength(bad.length);
      expect(validator.validationErrors[0]).toMatch(/with_vectors/);
      const ok = await send('PUT', '/collections/c?timeout=5', {
        vectors: { dense: { size: 8, distance: 'Cosine' } },
        sparse_vectors: { lexical: { modifier: 'idf' } },
      });
      expect(ok.status).toBe(200);
      expect(validator.validationErrors).toHaveLength(bad.length);
    } finally {
      await validator.close();
    }
  });
});

describe('QdrantVectorStore request shapes', () => {
  it('creates the collection with named dense + sparse(idf) vectors, scale options and keyword indexes', async () => {
    const from = fake.requests.length;
    const store = newStore({ shardNumber: 4, replicationFactor: 2, writeConsistencyFactor: 1 });
    await store.init();
    const [create] = since(from, 'create_collection');
    expect(create?.url).toBe(`/collections/${store.collectionName}`);
    expect(create?.body).toMatchObject({
      vectors: { dense: { size: 8, distance: 'Cosine', on_disk: true } },
      sparse_vectors: { lexical: { modifier: 'idf', index: { on_disk: true } } },
      shard_number: 4,
      replication_factor: 2,
      write_consistency_factor: 1,
      quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
      metadata: { codeidx: { format: 'codeidx-qdrant', schemaVersion: 1, space: CONFORMANCE_SPACE } },
    });
    const indexes = since(from, 'create_field_index');
    expect(indexes.every((r) => r.query.wait === true)).toBe(true);
    const fields = Object.fromEntries(
      indexes.map((r) => [
        (r.body as { field_name: string }).field_name,
        (r.body as { field_schema: unknown }).field_schema,
      ]),
    );
    expect(fields).toMatchObject({
      repo: { type: 'keyword', is_tenant: true },
      ref: 'keyword',
      path: 'keyword',
      dirs: 'keyword',
      language: 'keyword',
      symbol_kind: 'keyword',
      content_hash: 'keyword',
    });
    // The alias did not exist: init created it, and queries read through it.
    expect(fake.aliases.get(store.aliasName)).toBe(store.collectionName);
    expect(store.queryTarget).toBe(store.aliasName);
    // A second init creates nothing.
    const again = fake.requests.length;
    await store.init();
    expect(since(again).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('a lexical-only collection has only the sparse vector and no quantization', async () => {
    const from = fake.requests.length;
    const store = newStore({ space: null });
    await store.init();
    const [create] = since(from, 'create_collection');
    expect(create?.body).toMatchObject({ vectors: {}, sparse_vectors: { lexical: { modifier: 'idf' } } });
    expect(create?.body).not.toHaveProperty('quantization_config');
    expect(store.collectionName).toBe(`${store.aliasName}__lexical`);
  });

  it('upserts in batches with wait=true, deterministic UUIDs, the payload of DESIGN.md and BM25 sparse vectors', async () => {
    const store = newStore({ batchSize: 2 });
    await store.init();
    const points = [0, 1, 2, 3, 4].map((i) =>
      makePoint({
        path: `src/m${i}.ts`,
        text: `function fooBar${i}() {}`,
        symbol: `fooBar${i}`,
        vector: axisVector(i),
      }),
    );
    const from = fake.requests.length;
    await store.upsert(points);
    const upserts = since(from, 'upsert_points');
    expect(upserts.map((r) => (r.body as { points: unknown[] }).points.length)).toEqual([2, 2, 1]);
    expect(upserts.every((r) => r.method === 'PUT' && r.query.wait === true)).toBe(true);
    const first = (
      upserts[0]?.body as {
        points: Array<{ id: string; vector: Record<string, unknown>; payload: Record<string, unknown> }>;
      }
    ).points[0];
    expect(first?.id).toBe(points[0]?.id);
    expect(Object.keys(first?.payload ?? {}).sort()).toEqual(
      [
        'commit',
        'content_hash',
        'dirs',
        'end_line',
        'file_hash',
        'language',
        'path',
        'ref',
        'repo',
        'start_line',
        'symbol',
        'symbol_kind',
        'text',
      ].sort(),
    );
    expect(first?.payload.dirs).toEqual(['src']);
    expect(first?.vector.dense).toHaveLength(8);
    const sparse = first?.vector.lexical as { indices: number[]; values: number[] };
    expect(sparse.indices).toContain(tokenIndex('foobar0'));
    expect(sparse.indices).toContain(tokenIndex('foo'));
    expect(new Set(sparse.indices).size).toBe(sparse.indices.length);
  });

  it('hybrid search: one Query API call through the alias, dense + sparse prefetch with the filter, RRF k=60 (Qdrant k 61)', async () => {
    const store = newStore();
    await store.init();
    await store.upsert([
      makePoint({ path: 'src/core/a.ts', text: 'function parseConfig() {}', symbol: 'parseConfig' }),
    ]);
    const from = fake.requests.length;
    const hits = await store.query({
      text: 'parse config',
      vector: axisVector(0),
      mode: 'hybrid',
      k: 7,
      filter: { repo: MAIN.repo, pathPrefix: './src/core/', language: 'typescript' },
    });
    expect(hits.map((h) => h.path)).toEqual(['src/core/a.ts']);
    const queries = since(from, 'query_points');
    expect(queries).toHaveLength(1);
    expect(queries[0]?.url).toBe(`/collections/${store.aliasName}/points/query`);
    const filter = {
      must: [
        { key: 'repo', match: { value: MAIN.repo } },
        { key: 'language', match: { value: 'typescript' } },
        { key: 'dirs', match: { value: 'src/core' } },
      ],
    };
    expect(queries[0]?.body).toEqual({
      prefetch: [
        { query: Array.from(axisVector(0)), using: 'dense', limit: 50, filter },
        { query: querySparseVector('parse config'), using: 'lexical', limit: 50, filter },
      ],
      query: { rrf: { k: 61 } },
      limit: 7,
      with_payload: true,
      with_vector: false,
    });
  });

  it('maps SearchFilter to Qdrant filters on folder boundaries', () => {
    expect(searchFilterToQdrant({})).toBeUndefined();
    expect(searchFilterToQdrant({ pathPrefix: './' })).toBeUndefined();
    expect(
      searchFilterToQdrant({ pathPrefix: 'src/core', ref: 'refs/heads/x', symbolKind: 'class' }),
    ).toEqual({
      must: [
        { key: 'ref', match: { value: 'refs/heads/x' } },
        { key: 'symbol_kind', match: { value: 'class' } },
        {
          should: [
            { key: 'dirs', match: { value: 'src/core' } },
            { key: 'path', match: { value: 'src/core' } },
          ],
        },
      ],
    });
  });

  it('indexedFiles scrolls with a payload selector and pages; vectorsByContentHash filters on content_hash with the dense vector', async () => {
    const store = newStore();
    await store.init();
    const points = Array.from({ length: 1205 }, (_, i) =>
      makePoint({
        path: `f/${i % 400}.ts`,
        ordinal: i,
        text: `t${i}`,
        fileHash: `h${i % 400}`,
        contentHash: `c${i}`,
        vector: axisVector(i % 8),
      }),
    );
    await store.upsert(points);
    const from = fake.requests.length;
    const files = await store.indexedFiles(MAIN);
    expect(files.size).toBe(400);
    expect(files.get('f/7.ts')).toEqual(['h7']);
    const scrolls = since(from, 'scroll_points');
    expect(scrolls).toHaveLength(2);
    expect(scrolls[0]?.body).toMatchObject({
      filter: {
        must: [
          { key: 'repo', match: { value: MAIN.repo } },
          { key: 'ref', match: { value: MAIN.ref } },
        ],
      },
      with_payload: { include: ['path', 'file_hash'] },
      with_vector: false,
      limit: 1000,
    });
    expect(scrolls[1]?.body).toHaveProperty('offset');

    const before = fake.requests.length;
    const found = await store.vectorsByContentHash(['c3', 'c1204', 'nope']);
    expect([...found.keys()].sort()).toEqual(['c1204', 'c3']);
    expect(Array.from(found.get('c3') ?? [])).toEqual(Array.from(axisVector(3)).map((x) => Math.fround(x)));
    const [scroll] = since(before, 'scroll_points');
    expect(scroll?.body).toMatchObject({
      filter: { must: [{ key: 'content_hash', match: { any: ['c3', 'c1204', 'nope'] } }] },
      with_vector: ['dense'],
    });
  });

  it('chunksOfPaths scrolls at most 256 distinct paths per request, without vectors, and returns them all', async () => {
    const store = newStore();
    await store.init();
    const paths = Array.from({ length: 600 }, (_, i) => `p/${i}.ts`);
    await store.upsert(
      paths.map((path, i) =>
        makePoint({ path, text: `chunk ${i}`, scopeLine: i % 2 === 0 ? `class C${i}` : null }),
      ),
    );
    const from = fake.requests.length;
    expect(await store.chunksOfPaths(MAIN, [])).toEqual(new Map());
    expect(since(from)).toEqual([]);

    const got = await store.chunksOfPaths(MAIN, [...paths, 'p/0.ts', 'missing.ts']);
    expect(got.size).toBe(600);
    expect(got.get('p/7.ts')).toEqual([
      expect.objectContaining({ text: 'chunk 7', scope: null, ordinal: 0 }),
    ]);
    expect(got.get('p/8.ts')?.map((c) => c.scope)).toEqual(['class C8']);
    const scrolls = since(from, 'scroll_points');
    const anyOf = (r: RecordedRequest) =>
      (r.body as { filter: { must: Array<{ key: string; match: { any?: string[] } }> } }).filter.must.find(
        (c) => c.key === 'path',
      )?.match.any ?? [];
    expect(scrolls.map((r) => anyOf(r).length)).toEqual([256, 256, 89]);
    expect(new Set(scrolls.flatMap(anyOf)).size).toBe(601);
    expect(scrolls[0]?.body).toMatchObject({
      filter: {
        must: [
          { key: 'repo', match: { value: MAIN.repo } },
          { key: 'ref', match: { value: MAIN.ref } },
          { key: 'path', match: { any: paths.slice(0, 256) } },
        ],
      },
      with_payload: {
        include: [
          'path',
          'language',
          'symbol',
          'symbol_kind',
          'start_line',
          'end_line',
          'content_hash',
          'file_hash',
          'text',
          'scope_line',
          'ordinal',
        ],
      },
      with_vector: false,
    });
  });

  it('writes scope_line and ordinal to the payload only for points that carry them', async () => {
    const store = newStore();
    await store.init();
    const withScope = makePoint({
      path: 'a.ts',
      ordinal: 3,
      text: 'scoped',
      scopeLine: 'class A > method b',
    });
    const nullScope = makePoint({ path: 'b.ts', ordinal: 1, text: 'top level', scopeLine: null });
    const bare = makePoint({ path: 'c.ts', text: 'built by hand' });
    const from = fake.requests.length;
    await store.upsert([withScope, nullScope, bare]);
    const sent = since(from, 'upsert_points').flatMap(
      (r) => (r.body as { points: Array<{ id: string; payload: Record<string, unknown> }> }).points,
    );
    const payloadOf = (id: string) => sent.find((p) => p.id === id)?.payload ?? {};
    expect(payloadOf(withScope.id)).toMatchObject({ scope_line: 'class A > method b', ordinal: 3 });
    expect(payloadOf(nullScope.id)).toMatchObject({ scope_line: null, ordinal: 1 });
    expect(payloadOf(bare.id)).not.toHaveProperty('scope_line');
    expect(payloadOf(bare.id)).not.toHaveProperty('ordinal');
    const stored = fake.resolve(store.collectionName)?.points.get(bare.id)?.payload ?? {};
    expect(Object.keys(stored)).not.toContain('scope_line');
    expect(Object.keys(stored)).not.toContain('ordinal');
  });

  it('chunksOfPaths refuses a malformed stored payload with a VectorStoreError, and reads odd optional keys as null', async () => {
    const store = newStore();
    await store.init();
    const point = makePoint({ path: 'a.ts', ordinal: 2, text: 'x', scopeLine: 'class A' });
    await store.upsert([point]);
    const stored = fake.resolve(store.collectionName)?.points.get(point.id);
    if (!stored) throw new Error('the fake did not store the point');
    const original = { ...stored.payload };

    // Optional keys of the wrong type are "not recorded", not an error.
    stored.payload = { ...original, scope_line: 42, ordinal: 'two' };
    expect((await store.chunksOfPaths(MAIN, ['a.ts'])).get('a.ts')).toEqual([
      expect.objectContaining({ id: point.id, scope: null, ordinal: null }),
    ]);

    for (const broken of [
      { start_line: '1' },
      { end_line: null },
      { file_hash: undefined },
      { symbol_kind: 'gadget' },
      { symbol: 7 },
      { text: ['x'] },
    ]) {
      stored.payload = { ...original, ...broken };
      const error = await store.chunksOfPaths(MAIN, ['a.ts']).catch((e: unknown) => e);
      expect(error, JSON.stringify(broken)).toBeInstanceOf(VectorStoreError);
      expect((error as Error).message).toContain(`point ${point.id}`);
      expect((error as Error).message).toMatch(/has no valid chunk payload/);
    }
    stored.payload = original;
    expect((await store.chunksOfPaths(MAIN, ['a.ts'])).get('a.ts')?.[0]).toMatchObject({
      scope: 'class A',
      ordinal: 2,
      startLine: point.startLine,
    });
  });

  it('stores index state as a vector-less point that chunk filters, count and search never see', async () => {
    const store = newStore();
    await store.init();
    await store.putState(state(MAIN));
    await store.upsert([makePoint({ path: 'a.ts', text: 'state acme alpha refs heads main complete' })]);
    expect(await store.count()).toBe(1);
    expect(await store.count(MAIN)).toBe(1);
    expect(await store.indexedFiles(MAIN)).toEqual(
      new Map([['a.ts', [makePoint({ path: 'a.ts', text: 'x' }).fileHash]]]),
    );
    const hits = await store.query({
      text: 'state complete acme',
      vector: axisVector(0),
      mode: 'hybrid',
      k: 10,
      filter: {},
    });
    expect(hits.map((h) => h.path)).toEqual(['a.ts']);
    const statePoint = [...(fake.resolve(store.collectionName)?.points.values() ?? [])].find(
      (p) => p.payload.record === 'state',
    );
    expect(statePoint?.vector).toEqual({});
  });
});

describe('QdrantVectorStore failures', () => {
  async function closedPortUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  }

  it('an unreachable server is a VectorStoreError naming the URL, after the retries', async () => {
    const url = await closedPortUrl();
    const store = new QdrantVectorStore({ url, space: CONFORMANCE_SPACE, retries: 2, retryMinDelayMs: 1 });
    const error = await store.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as VectorStoreError).message).toContain(url);
    expect((error as VectorStoreError).message).toMatch(/unreachable \(ECONNREFUSED\).*after 3 attempts/);
    expect((error as VectorStoreError).hint).toMatch(/QDRANT_URL/);
  });

  it('retries a 500 and a 503 and then succeeds', async () => {
    const store = newStore();
    await store.init();
    const from = fake.requests.length;
    fake.failNext(1, 500, (r) => r.operationId === 'upsert_points');
    fake.failNext(1, 503, (r) => r.operationId === 'upsert_points');
    await store.upsert([makePoint({ path: 'a.ts', text: 'retried' })]);
    expect(since(from, 'upsert_points').map((r) => r.status)).toEqual([500, 503, 200]);
    expect(await store.count()).toBe(1);
  });

  it('does not retry a 4xx answer', async () => {
    const store = newStore();
    await store.init();
    const from = fake.requests.length;
    fake.failNext(1, 400, (r) => r.operationId === 'count_points');
    await expect(store.count()).rejects.toThrow(/failed count \(400\)/);
    expect(since(from, 'count_points')).toHaveLength(1);
  });

  it('a 500 forever fails the indexing run and never writes a complete state; a re-run converges', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-qdrant-'));
    try {
      for (let i = 0; i < 4; i++)
        fs.writeFileSync(
          path.join(dir, `m${i}.ts`),
          `export function handler${i}(x: number) {\n  return x + ${i};\n}\n`,
        );
      const embedder = new HashEmbedder();
      const space: EmbeddingSpace = {
        modelId: embedder.info.id,
        revision: embedder.info.revision,
        dims: embedder.info.dims,
      };
      const prefix = `run${++counter}`;
      const chunker = new TreeSitterChunker({
        tokenCounter: { count: (t) => estimateTokens(t) },
        maxTokens: 128,
      });
      const run = async () => {
        const store = new QdrantVectorStore({
          url: fake.url,
          space,
          collectionPrefix: prefix,
          retries: 2,
          retryMinDelayMs: 1,
        });
        await store.init();
        const reader = await openSourceReader(dir);
        try {
          return await indexTree(
            { reader, chunker, embedder, cache: null, store, logger: silent },
            { scope: MAIN, commit: null, planSource: 'scan', filesPerBatch: 2 },
          );
        } finally {
          await store.close();
        }
      };
      const isStateWrite = (r: RecordedRequest) =>
        r.operationId === 'upsert_points' &&
        (r.body as { points: Array<{ payload?: { record?: string } }> }).points.some(
          (p) => p.payload?.record === 'state',
        );
      const statesWritten = (from: number) =>
        since(from)
          .filter(isStateWrite)
          .filter((r) => r.status === 200)
          .map(
            (r) =>
              JSON.parse(
                (r.body as { points: Array<{ payload: { state_json: string } }> }).points[0]?.payload
                  .state_json ?? '{}',
              ) as IndexState,
          );

      fake.failAlways(500, (r) => r.operationId === 'upsert_points' && !isStateWrite(r));
      const from = fake.requests.length;
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorStoreError);
      expect((error as Error).message).toContain(fake.url);
      expect((error as Error).message).toMatch(/\(500\) after 3 attempts/);
      expect(statesWritten(from).map((s) => s.status)).not.toContain('complete');
      const reader = newStore({ space, collectionPrefix: prefix });
      await reader.init();
      expect((await reader.getState(MAIN))?.status).not.toBe('complete');
      expect(await reader.count(MAIN)).toBe(0);

      fake.clearFaults();
      const again = fake.requests.length;
      const report = await run();
      expect(statesWritten(again).at(-1)?.status).toBe('complete');
      expect((await reader.getState(MAIN))?.status).toBe('complete');
      expect(await reader.count(MAIN)).toBe(report.counts.chunks);
      expect((await reader.indexedFiles(MAIN)).size).toBe(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an existing collection with another vector size, naming both, and changes nothing', async () => {
    const store = newStore({ collection: 'shared_dims' });
    await store.init();
    await store.upsert([makePoint({ path: 'a.ts', text: 'keep me' })]);
    const from = fake.requests.length;
    const other = newStore({
      collection: 'shared_dims',
      space: { modelId: 'other/model', revision: 'v1', dims: 16 },
    });
    const error = await other.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as Error).message).toMatch(
      /shared_dims.*"dense" vector of 8 dims.*other\/model@v1 \(16 dims\)/,
    );
    expect((error as VectorStoreError).hint).toMatch(/nothing was changed/);
    expect(since(from).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await store.count()).toBe(1);

    // Same size but another model recorded in the collection metadata: refused too.
    const sameDims = newStore({ collection: 'shared_dims', space: { ...CONFORMANCE_SPACE, revision: 'v2' } });
    await expect(sameDims.init()).rejects.toThrow(
      /holds codeidx\/conformance@v1 \(8 dims\), but this store holds codeidx\/conformance@v2/,
    );

    // A collection made by someone else (no codeidx metadata) with another size.
    await fetch(`${fake.url}/collections/foreign`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: { dense: { size: 3, distance: 'Cosine' } } }),
    });
    await expect(newStore({ collection: 'foreign' }).init()).rejects.toThrow(/"dense" vector of 3 dims/);
  });

  it('sends the API key and explains a refusal', async () => {
    const secured = await FakeQdrantServer.start({ apiKey: 's3cret' });
    try {
      const base = { url: secured.url, space: CONFORMANCE_SPACE, retryMinDelayMs: 1 };
      const anonymous = new QdrantVectorStore(base);
      const error = await anonymous.init().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorStoreError);
      expect((error as Error).message).toMatch(new RegExp(`${secured.url}.*\\(401\\)`));
      expect((error as VectorStoreError).hint).toMatch(/QDRANT_API_KEY/);
      const keyed = new QdrantVectorStore({ ...base, apiKey: 's3cret' });
      await keyed.init();
      expect(await keyed.count()).toBe(0);
      expect(secured.requests.at(-1)?.headers['api-key']).toBe('s3cret');
      expect(secured.validationErrors).toEqual([]);
    } finally {
      await secured.close();
    }
  });

  it('rejects bad options with ConfigError and methods before init with VectorStoreError', async () => {
    expect(() => new QdrantVectorStore({ url: 'localhost:6333', space: null })).toThrow(ConfigError);
    expect(() => new QdrantVectorStore({ url: 'ftp://x', space: null })).toThrow(ConfigError);
    expect(() => new QdrantVectorStore({ url: fake.url, space: null, collection: 'bad/name' })).toThrow(
      ConfigError,
    );
    expect(() => new QdrantVectorStore({ url: fake.url, space: null, batchSize: -1 })).toThrow(ConfigError);
    await expect(newStore().count()).rejects.toBeInstanceOf(VectorStoreError);
  });
});

describe('QdrantVectorStore model change and alias promotion', () => {
  it('builds a new collection for a new space and switches the alias atomically when it is complete', async () => {
    const prefix = `alias${++counter}`;
    const v1: EmbeddingSpace = { modelId: 'acme/model', revision: 'v1', dims: 8 };
    const v2: EmbeddingSpace = { modelId: 'acme/model', revision: 'v2', dims: 8 };
    const oldStore = newStore({ collectionPrefix: prefix, space: v1 });
    await oldStore.init();
    await oldStore.upsert([makePoint({ path: 'old.ts', text: 'old version', vector: axisVector(1) })]);
    await oldStore.putState(state(MAIN));

    const newStore2 = newStore({ collectionPrefix: prefix, space: v2 });
    await newStore2.init();
    expect(newStore2.collectionName).not.toBe(oldStore.collectionName);
    expect(newStore2.collectionName).toBe(collectionNameFor(v2, prefix));
    expect(newStore2.aliasName).toBe(prefix);
    // The alias keeps serving the old collection while the new one fills.
    expect(fake.aliases.get(prefix)).toBe(oldStore.collectionName);
    expect(newStore2.queryTarget).toBe(newStore2.collectionName);

    await newStore2.upsert([makePoint({ path: 'new.ts', text: 'new version', vector: axisVector(1) })]);
    await newStore2.putState(state(MAIN, { status: 'in_progress', completedAt: null }));
    await expect(newStore2.promoteAlias()).rejects.toThrow(/in progress.*was not moved/);
    expect(fake.aliases.get(prefix)).toBe(oldStore.collectionName);

    await newStore2.putState(state(MAIN));
    const from = fake.requests.length;
    const { previous } = await newStore2.promoteAlias();
    expect(previous).toBe(oldStore.collectionName);
    const updates = since(from, 'update_aliases');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.body).toEqual({
      actions: [
        { delete_alias: { alias_name: prefix } },
        { create_alias: { alias_name: prefix, collection_name: newStore2.collectionName } },
      ],
    });
    expect(fake.aliases.get(prefix)).toBe(newStore2.collectionName);
    expect(newStore2.queryTarget).toBe(prefix);
    const [hit] = await newStore2.query({
      text: 'version',
      vector: axisVector(1),
      mode: 'hybrid',
      k: 1,
      filter: {},
    });
    expect(hit?.path).toBe('new.ts');
    expect(since(from, 'query_points').at(-1)?.url).toBe(`/collections/${prefix}/points/query`);
    // Promoting again is a no-op.
    expect(await newStore2.promoteAlias()).toEqual({ previous: null });
    await oldStore.drop();
    expect(fake.aliases.get(prefix)).toBe(newStore2.collectionName);
  });

  it('refuses to promote an empty collection unless forced', async () => {
    const store = newStore();
    await store.init();
    await expect(store.promoteAlias()).rejects.toThrow(/no complete index/);
    expect(await store.promoteAlias({ force: true })).toEqual({ previous: null });
  });
});

describe('BM25 sparse vectors', () => {
  it('hashes tokens with FNV-1a 32-bit (reference values)', () => {
    expect(tokenIndex('')).toBe(0x811c9dc5);
    expect(tokenIndex('a')).toBe(0xe40c292c);
    expect(tokenIndex('foobar')).toBe(0xbf9cf968);
    expect(tokenIndex('用户')).toBe(tokenIndex('用户'));
  });

  it('stores saturated, field-weighted term frequencies with unique sorted indices', () => {
    const v = documentSparseVector({
      symbol: 'getUser',
      path: 'src/user.ts',
      text: 'function getUser() { return user.user }',
    });
    expect(v).not.toBeNull();
    const indices = v?.indices ?? [];
    expect([...indices].sort((a, b) => a - b)).toEqual(indices);
    expect(new Set(indices).size).toBe(indices.length);
    const weight = (t: string) => v?.values[indices.indexOf(tokenIndex(t))] ?? 0;
    // "user" appears in symbol, path and text: more weight than "function" (text once), and saturated below k1 + 1.
    expect(weight('user')).toBeGreaterThan(weight('function'));
    expect(weight('user')).toBeLessThan(2.2);
    expect(documentSparseVector({ symbol: null, path: '', text: '!!! ???' })).toBeNull();
  });

  it('queries with one unit weight per distinct token, or null without a token', () => {
    const q = querySparseVector('parse parse Config');
    expect(q?.values).toEqual([1, 1]);
    expect(q?.indices).toEqual([tokenIndex('parse'), tokenIndex('config')].sort((a, b) => a - b));
    expect(querySparseVector('*** !!!')).toBeNull();
  });
});
