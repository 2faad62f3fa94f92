import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VectorStoreError } from '../../src/core/errors.js';
import type { VectorStore } from '../../src/core/ports.js';
import { MAX_K, MAX_QUERY_CHARS, SearchService } from '../../src/core/search-service.js';
import { openApiDocument, searchResponseSchema, statusResponseSchema } from '../../src/search-api/openapi.js';
import { z } from 'zod';
import { COMMIT_A, TOKENS, appFor, bearer, buildFixture, memoryLogger, type Fixture } from './fixtures.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await buildFixture();
});
afterAll(async () => {
  await fx.cleanup();
});

interface ErrorBody {
  error: { code: string; message: string; hint?: string; requestId?: string };
}
interface SearchBody {
  query: string;
  mode: string;
  k: number;
  results: Array<{
    repo: string;
    ref: string;
    commit: string | null;
    path: string;
    permalink: string;
    snippet: string;
    score: number;
    startLine: number;
    endLine: number;
    symbol: string | null;
    symbolKind: string;
  }>;
}

const auth = bearer(TOKENS.all);

async function get(path: string, headers: Record<string, string> = auth, app = appFor(fx)) {
  const res = await app.request(path, { headers });
  return { res, body: await res.json() };
}

async function expect400(path: string, field: RegExp) {
  const { res, body } = await get(path);
  expect(res.status).toBe(400);
  expect((body as ErrorBody).error.code).toBe('bad_request');
  expect((body as ErrorBody).error.message).toMatch(field);
}

describe('GET /v1/search', () => {
  it('returns ranked results with location, snippet, score and a permalink at the indexed commit', async () => {
    const { res, body } = await get('/v1/search?q=parseConfig&repo=org/a&ref=main&mode=lexical');
    expect(res.status).toBe(200);
    const b = body as SearchBody;
    expect(b.mode).toBe('lexical');
    expect(b.results.length).toBeGreaterThan(0);
    const top = b.results[0];
    expect(top).toMatchObject({
      repo: 'org/a',
      ref: 'refs/heads/main',
      commit: COMMIT_A,
      path: 'src/config/parse-config.ts',
      symbol: 'parseConfig',
      symbolKind: 'function',
    });
    expect(top.permalink).toBe(
      `https://github.com/org/a/blob/${COMMIT_A}/src/config/parse-config.ts#L${top.startLine}-L${top.endLine}`,
    );
    expect(top.snippet).toContain('export function parseConfig');
    // Every result is in the requested repo and ref.
    expect(b.results.every((r) => r.repo === 'org/a' && r.ref === 'refs/heads/main')).toBe(true);
    // The response matches the schema published in the OpenAPI document.
    expect(searchResponseSchema.safeParse(body).success).toBe(true);
  });

  it('applies path, lang and kind filters', async () => {
    const { body } = await get(
      '/v1/search?q=retry+request+config&path=src/http/&lang=typescript&kind=function&mode=lexical&k=5',
    );
    const b = body as SearchBody;
    expect(b.k).toBe(5);
    expect(b.results.length).toBeGreaterThan(0);
    expect(b.results.every((r) => r.path.startsWith('src/http/'))).toBe(true);
    const go = (await get('/v1/search?q=render&lang=go&mode=lexical')).body as SearchBody;
    expect(go.results.map((r) => r.path)).toEqual(['lib/render.go']);
  });

  it('runs hybrid and semantic searches with the embedder', async () => {
    for (const mode of ['hybrid', 'semantic']) {
      const { res, body } = await get(`/v1/search?q=retry%20a%20request&repo=org/a&mode=${mode}`);
      expect(res.status).toBe(200);
      expect((body as SearchBody).mode).toBe(mode);
      expect((body as SearchBody).results.length).toBeGreaterThan(0);
    }
  });

  it('treats FTS and SQL syntax in q as plain text', async () => {
    for (const q of [
      '"parse',
      'parse*',
      'NEAR(parse config)',
      'parse" OR 1=1 --',
      "'; DROP TABLE chunks; --",
      'AND OR NOT',
      'col:parse',
      '^parse',
    ]) {
      const { res, body } = await get(`/v1/search?q=${encodeURIComponent(q)}&mode=lexical`);
      expect(res.status, q).toBe(200);
      expect(Array.isArray((body as SearchBody).results), q).toBe(true);
    }
    // A query of punctuation only has nothing to search for: a clear 400, not arbitrary results.
    for (const q of ['*', '(((', '" * :']) {
      const { res, body } = await get(`/v1/search?q=${encodeURIComponent(q)}&mode=lexical`);
      expect(res.status, q).toBe(400);
      expect(JSON.stringify(body), q).toMatch(/no letters or digits/);
    }
    // The store is intact afterwards.
    const { body } = await get('/v1/search?q=parseConfig&mode=lexical');
    expect((body as SearchBody).results.length).toBeGreaterThan(0);
  });
});

describe('validation', () => {
  it('rejects a missing or empty query', async () => {
    await expect400('/v1/search', /^q: /);
    await expect400('/v1/search?q=', /^q: must not be empty/);
    await expect400('/v1/search?q=%20%20%20', /^q: must not be empty/);
  });

  it('rejects a 100 KB query, and accepts one of exactly MAX_QUERY_CHARS', async () => {
    await expect400(
      `/v1/search?q=${'a'.repeat(100_000)}`,
      new RegExp(`^q: must be at most ${MAX_QUERY_CHARS} characters`),
    );
    const { res } = await get(`/v1/search?q=${'a'.repeat(MAX_QUERY_CHARS)}&mode=lexical`);
    expect(res.status).toBe(200);
  });

  it('rejects unknown parameters, naming them', async () => {
    await expect400('/v1/search?q=x&limit=3&foo=1', /unknown parameters "limit", "foo"/);
    await expect400('/v1/search?q=x&Repo=org/a', /unknown parameter "Repo"/);
  });

  it('rejects a parameter given twice', async () => {
    await expect400('/v1/search?q=x&repo=org/a&repo=other/secret', /^repo: given more than once/);
  });

  it('rejects k out of 1..MAX_K or not an integer', async () => {
    await expect400('/v1/search?q=x&k=0', /^k: must be from 1 to 100/);
    await expect400('/v1/search?q=x&k=10000', /^k: must be from 1 to 100/);
    await expect400('/v1/search?q=x&k=-1', /^k: /);
    await expect400('/v1/search?q=x&k=2.5', /^k: /);
    await expect400('/v1/search?q=x&k=abc', /^k: /);
    const { res } = await get(`/v1/search?q=x&k=${MAX_K}&mode=lexical`);
    expect(res.status).toBe(200);
  });

  it('rejects path traversal and non-relative paths', async () => {
    for (const p of [
      '..',
      '../other',
      'src/../../etc',
      'src/..',
      '/etc/passwd',
      '%2Fetc',
      'src%5C..%5Cx',
      'C:/x',
      'src%00x',
      'a//b',
      './src',
    ]) {
      await expect400(`/v1/search?q=x&path=${p}`, /^path: /);
    }
    // A file name that merely contains dots is fine.
    const { res } = await get('/v1/search?q=x&path=src/..hidden/a..b.ts&mode=lexical');
    expect(res.status).toBe(200);
  });

  it('rejects bad repo, ref, kind, mode and lang values', async () => {
    await expect400('/v1/search?q=x&repo=org', /^repo: must be "owner\/name"/);
    await expect400('/v1/search?q=x&repo=org/a/b', /^repo: /);
    await expect400('/v1/search?q=x&ref=a..b', /^ref: /);
    await expect400('/v1/search?q=x&ref=main%0A', /^ref: /);
    await expect400('/v1/search?q=x&kind=widget', /^kind: must be one of/);
    await expect400('/v1/search?q=x&mode=fuzzy', /^mode: must be hybrid, semantic or lexical/);
    await expect400('/v1/search?q=x&lang=%3Cscript%3E', /^lang: /);
  });

  it('rejects percent-encoded invalid UTF-8, naming the parameter', async () => {
    await expect400('/v1/search?q=%FF%FE', /^q: is not valid percent-encoded UTF-8/);
    await expect400('/v1/search?q=ok&path=%C3%28', /^path: is not valid percent-encoded UTF-8/);
    await expect400('/v1/search?q=%E2%82', /^q: /);
    // Valid multi-byte UTF-8 is fine.
    const { res } = await get(`/v1/search?q=${encodeURIComponent('配置 parse ñ')}&mode=lexical`);
    expect(res.status).toBe(200);
  });

  it('rejects semantic search on a lexical-only index with 400', async () => {
    const lexical = new SearchService({ store: fx.store, embedder: null });
    const { res, body } = await get(
      '/v1/search?q=parse&mode=semantic&repo=org/a',
      auth,
      appFor(fx, { search: lexical }),
    );
    expect(res.status).toBe(400);
    expect((body as ErrorBody).error.message).toMatch(/semantic search needs an embedding model/);
  });
});

describe('POST /v1/search', () => {
  const post = (
    body: string,
    headers: Record<string, string> = { ...auth, 'Content-Type': 'application/json' },
    app = appFor(fx),
  ) => app.request('/v1/search', { method: 'POST', headers, body });

  it('accepts the same parameters as a JSON body', async () => {
    const res = await post(
      JSON.stringify({ q: 'parseConfig', repo: 'org/a', ref: 'refs/heads/dev', k: 3, mode: 'lexical' }),
    );
    expect(res.status).toBe(200);
    const b = (await res.json()) as SearchBody;
    expect(b.results.length).toBeGreaterThan(0);
    expect(b.results.every((r) => r.ref === 'refs/heads/dev')).toBe(true);
  });

  it('rejects unknown fields, wrong types, bad JSON, non-JSON bodies and large bodies', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [JSON.stringify({ q: 'x', limit: 3 }), 400, /unknown parameter "limit"/],
      [JSON.stringify({ q: 'x', k: '5' }), 400, /^k: /],
      [JSON.stringify({ q: 'x', k: 0 }), 400, /^k: must be from 1 to 100/],
      [JSON.stringify({ q: 42 }), 400, /^q: /],
      [JSON.stringify({ q: 'x', path: '../../x' }), 400, /^path: /],
      [JSON.stringify(['x']), 400, /^body: must be a JSON object/],
      ['{"q": ', 400, /^body: not valid UTF-8 JSON/],
      [JSON.stringify({ q: 'x'.repeat(100_000) }), 413, /^body: larger than/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      expect(res.status, body.slice(0, 40)).toBe(status);
      expect(((await res.json()) as ErrorBody).error.message, body.slice(0, 40)).toMatch(message);
    }
    const text = await post(JSON.stringify({ q: 'x' }), { ...auth, 'Content-Type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('rejects invalid UTF-8 in the body', async () => {
    const app = appFor(fx);
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"q": "'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ]);
    const res = await app.request('/v1/search', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/UTF-8/);
  });
});

describe('status, health, readiness', () => {
  it('reports the indexed commit, time, counts and model per ref', async () => {
    const { res, body } = await get('/v1/repos/org/a/status');
    expect(res.status).toBe(200);
    expect(statusResponseSchema.safeParse(body).success).toBe(true);
    const b = body as z.infer<typeof statusResponseSchema>;
    expect(b.repo).toBe('org/a');
    expect(b.refs.map((r) => r.ref)).toEqual(['refs/heads/dev', 'refs/heads/main']);
    expect(b.refs[1]).toMatchObject({
      commit: COMMIT_A,
      status: 'complete',
      model: 'test/hash-embedder@v1',
      completedAt: '2024-05-01T10:01:00.000Z',
      points: 2,
    });
    expect(b.refs[1].counts).toMatchObject({ chunks: 2 });
  });

  it('404s for a repository that is not indexed (inside the scope)', async () => {
    const { res } = await get('/v1/repos/org/nothing/status');
    expect(res.status).toBe(404);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await get('/healthz', {})).res.status).toBe(200);
    const ready = await get('/readyz', {});
    expect(ready.res.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('is not ready, and maps store failures to 503 without internals, when the store fails', async () => {
    const broken: VectorStore = new Proxy(fx.store, {
      get(target, prop, receiver) {
        if (prop === 'count' || prop === 'query' || prop === 'listStates') {
          return () =>
            Promise.reject(new VectorStoreError('SQLITE_IOERR: disk I/O error at /secret/path/index.db'));
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const logger = memoryLogger();
    const app = appFor(fx, {
      store: broken,
      search: new SearchService({ store: broken, embedder: fx.embedder }),
      logger,
    });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(503);
    const search = await app.request('/v1/search?q=parse&repo=org/a', { headers: auth });
    expect(search.status).toBe(503);
    expect(search.headers.get('Retry-After')).toBe('5');
    const text = await search.text();
    expect(text).not.toContain('/secret/path');
    expect(text).not.toContain('SQLITE');
    expect(logger.lines.some((l) => l.includes('SQLITE_IOERR'))).toBe(true);
  });

  it('maps an unexpected error to a 500 that reveals nothing', async () => {
    const throwing = new Proxy(fx.service, {
      get(target, prop, receiver) {
        if (prop === 'search')
          return () =>
            Promise.reject(new TypeError('cannot read properties of undefined (reading "secretField")'));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const res = await appFor(fx, { search: throwing }).request('/v1/search?q=parse&repo=org/a', {
      headers: auth,
    });
    expect(res.status).toBe(500);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'internal', message: 'internal error' });
    expect(JSON.stringify(body)).not.toContain('secretField');
  });
});

describe('metrics and docs', () => {
  it('counts requests by route and status, latency, and query-embedding cache hits and misses', async () => {
    const app = appFor(fx);
    const service = new SearchService({ store: fx.store, embedder: fx.embedder });
    const app2 = appFor(fx, { search: service });
    await app2.request('/v1/search?q=metrics%20probe&repo=org/a&mode=semantic', { headers: auth });
    await app2.request('/v1/search?q=metrics%20probe&repo=org/a&mode=semantic', { headers: auth });
    await app2.request('/v1/search?q=', { headers: auth });
    await app2.request('/v1/repos/org/a/status', { headers: auth });
    const text = await (await app2.request('/metrics')).text();
    expect(text).toMatch(/codeidx_http_requests_total\{method="GET",route="\/v1\/search",status="200"\} 2/);
    expect(text).toMatch(/codeidx_http_requests_total\{method="GET",route="\/v1\/search",status="400"\} 1/);
    expect(text).toMatch(
      /codeidx_http_requests_total\{method="GET",route="\/v1\/repos\/:owner\/:repo\/status",status="200"\} 1/,
    );
    expect(text).toMatch(
      /codeidx_http_request_duration_seconds_count\{method="GET",route="\/v1\/search",status="200"\} 2/,
    );
    expect(text).toMatch(/codeidx_query_embedding_cache_hits_total 1/);
    expect(text).toMatch(/codeidx_query_embedding_cache_misses_total 1/);
    // A second scrape does not double-count.
    expect(await (await app2.request('/metrics')).text()).toMatch(
      /codeidx_query_embedding_cache_hits_total 1\n/,
    );
    // Unknown paths do not create one series each.
    await app.request('/no/such/path/1');
    await app.request('/no/such/path/2');
    const other = await (await app.request('/metrics')).text();
    expect(other).toMatch(/route="unmatched",status="404"\} 2/);
  });

  it('serves an OpenAPI 3.1 document whose schemas compile and whose paths are the routes', async () => {
    const res = await appFor(fx).request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, object> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/metrics', '/readyz', '/v1/repos/{owner}/{repo}/status', '/v1/search'].sort(),
    );
    const ajv = new Ajv2020.default({ strict: false });
    const validate = ajv.compile(doc.components.schemas.SearchResponse);
    const { body } = await get('/v1/search?q=parseConfig&repo=org/a&mode=lexical');
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    const request = ajv.compile(doc.components.schemas.SearchRequest);
    expect(request({ q: 'x', k: 3 })).toBe(true);
    expect(request({ q: 'x', bogus: 1 })).toBe(false);
    expect(openApiDocument('9.9.9')).toMatchObject({ info: { version: '9.9.9' } });
  });

  it('serves the docs page and the search page with a strict CSP', async () => {
    const app = appFor(fx);
    for (const path of ['/', '/docs']) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/text\/html/);
      const csp = res.headers.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
    const js = await app.request('/assets/app.js');
    expect(js.headers.get('Content-Type')).toMatch(/javascript/);
    expect(await js.text()).not.toContain('innerHTML');
  });
});
