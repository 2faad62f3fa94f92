import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorStore } from '../../src/core/ports.js';
import { emptyCounts, type IndexState } from '../../src/core/types.js';
import type { Principal } from '../../src/search-api/auth.js';
import { ResponseCache, responseCacheKey } from '../../src/search-api/response-cache.js';
import type { ScopedSearchResult } from '../../src/search-api/scoped-search.js';
import type { SearchParams } from '../../src/search-api/search-params.js';
import { COMMIT_A, SECRET_MARKER, TOKENS, appFor, bearer, buildFixture, type Fixture } from './fixtures.js';

function state(over: Partial<IndexState> = {}): IndexState {
  return {
    repo: 'org/a',
    ref: 'refs/heads/main',
    commit: COMMIT_A,
    pendingCommit: null,
    model: 'm@1',
    chunkerVersion: 1,
    status: 'complete',
    counts: emptyCounts(),
    startedAt: '2024-05-01T10:00:00.000Z',
    completedAt: '2024-05-01T10:01:00.000Z',
    ...over,
  };
}

/** A store whose only used method is listStates, with states the test changes. */
function fakeStore(initial: IndexState[]): { store: VectorStore; states: IndexState[]; calls: () => number } {
  const box = { states: initial, calls: 0 };
  const store = {
    listStates: () => {
      box.calls++;
      return Promise.resolve(box.states);
    },
  } as unknown as VectorStore;
  return {
    store,
    get states() {
      return box.states;
    },
    set states(s: IndexState[]) {
      box.states = s;
    },
    calls: () => box.calls,
  };
}

const principal = (id: string): Principal => ({ id, anonymous: false, readsAll: true, canRead: () => true });
const params = (over: Partial<SearchParams> = {}): SearchParams => ({ q: 'parse config', k: 10, mode: 'hybrid', ...over });
const answer = (n: number): ScopedSearchResult => ({ results: [], mode: 'hybrid', queries: n });

describe('ResponseCache', () => {
  it('answers a repeated request from the cache and checks the states at most once per interval', async () => {
    const fake = fakeStore([state()]);
    let t = 0;
    const cache = new ResponseCache(fake.store, { now: () => t, checkIntervalMs: 1000 });
    let computed = 0;
    const compute = () => Promise.resolve(answer(++computed));
    const key = responseCacheKey(principal('token:a'), params());
    expect((await cache.get(key, compute)).queries).toBe(1);
    t = 500;
    expect((await cache.get(key, compute)).queries).toBe(1);
    expect(computed).toBe(1);
    expect(fake.calls()).toBe(1);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('keys on the principal and on every parameter', () => {
    const base = responseCacheKey(principal('token:a'), params());
    const variants = [
      responseCacheKey(principal('token:b'), params()),
      responseCacheKey(principal('anonymous'), params()),
      responseCacheKey(principal('token:a'), params({ q: 'Parse config' })),
      responseCacheKey(principal('token:a'), params({ k: 11 })),
      responseCacheKey(principal('token:a'), params({ mode: 'lexical' })),
      responseCacheKey(principal('token:a'), params({ repo: 'org/a' })),
      responseCacheKey(principal('token:a'), params({ ref: 'refs/heads/dev' })),
      responseCacheKey(principal('token:a'), params({ path: 'src' })),
      responseCacheKey(principal('token:a'), params({ lang: 'go' })),
      responseCacheKey(principal('token:a'), params({ kind: 'function' })),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('empties itself when the index states change, once the interval has passed', async () => {
    const fake = fakeStore([state()]);
    let t = 0;
    const cache = new ResponseCache(fake.store, { now: () => t, checkIntervalMs: 1000 });
    let computed = 0;
    const compute = () => Promise.resolve(answer(++computed));
    const key = responseCacheKey(principal('token:a'), params());
    await cache.get(key, compute);
    fake.states = [state({ completedAt: '2024-05-02T10:01:00.000Z', commit: 'b'.repeat(40) })];
    t = 999; // within the interval: the documented staleness window
    expect((await cache.get(key, compute)).queries).toBe(1);
    t = 1000;
    expect((await cache.get(key, compute)).queries).toBe(2);
    expect(cache.stats.invalidations).toBe(1);
    // A ref removed also changes the fingerprint.
    fake.states = [];
    t = 2000;
    expect((await cache.get(key, compute)).queries).toBe(3);
  });

  it('is bypassed while a ref is being indexed', async () => {
    const fake = fakeStore([state({ status: 'in_progress', pendingCommit: 'b'.repeat(40) })]);
    const cache = new ResponseCache(fake.store, { now: () => 0 });
    let computed = 0;
    const compute = () => Promise.resolve(answer(++computed));
    const key = responseCacheKey(principal('token:a'), params());
    await cache.get(key, compute);
    await cache.get(key, compute);
    expect(computed).toBe(2);
    expect(cache.size).toBe(0);
    expect(cache.stats.bypassed).toBe(2);
  });

  it('runs identical concurrent misses once, and does not cache a failure', async () => {
    const cache = new ResponseCache(fakeStore([state()]).store, { now: () => 0 });
    let computed = 0;
    let release: (r: ScopedSearchResult) => void = () => undefined;
    const slow = () => {
      computed++;
      return new Promise<ScopedSearchResult>((r) => (release = r));
    };
    const key = responseCacheKey(principal('token:a'), params());
    const all = Promise.all([cache.get(key, slow), cache.get(key, slow), cache.get(key, slow)]);
    await new Promise((r) => setTimeout(r, 0));
    release(answer(7));
    expect((await all).map((r) => r.queries)).toEqual([7, 7, 7]);
    expect(computed).toBe(1);

    const other = responseCacheKey(principal('token:a'), params({ q: 'fails' }));
    await expect(cache.get(other, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await cache.get(other, () => Promise.resolve(answer(9)))).queries).toBe(9);
  });
});

describe('API with a response cache', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await buildFixture();
  });
  afterAll(async () => {
    await fx.cleanup();
  });

  it('never serves one token an answer cached for another scope', async () => {
    const cache = new ResponseCache(fx.store);
    const app = appFor(fx, { responseCache: cache });
    const path = '/v1/search?q=parse%20config%20private%20key&k=10&mode=lexical';
    const admin = await app.request(path, { headers: bearer(TOKENS.all) });
    expect(await admin.text()).toContain(SECRET_MARKER);
    const org = await app.request(path, { headers: bearer(TOKENS.org) });
    expect(org.status).toBe(200);
    expect(await org.text()).not.toContain(SECRET_MARKER);
    // Again, now that both are cached.
    const orgAgain = await app.request(path, { headers: bearer(TOKENS.org) });
    expect(await orgAgain.text()).not.toContain(SECRET_MARKER);
    expect(cache.stats.hits).toBe(1);
    expect(cache.stats.misses).toBe(2);
  });

  it('serves the new index after a completed run changes the states', async () => {
    let t = 0;
    const cache = new ResponseCache(fx.store, { now: () => t, checkIntervalMs: 1000 });
    const app = appFor(fx, { responseCache: cache });
    const path = '/v1/search?q=parseConfig&k=10&mode=lexical&repo=org/a&ref=main';
    const first = (await (await app.request(path, { headers: bearer(TOKENS.all) })).json()) as { results: unknown[] };
    const before = first.results.length;
    expect(before).toBeGreaterThan(0);
    await fx.store.deleteByPath({ repo: 'org/a', ref: 'refs/heads/main' }, ['src/config/parse-config.ts']);
    const states = await fx.store.listStates('org/a');
    const main = states.find((s) => s.ref === 'refs/heads/main');
    if (!main) throw new Error('fixture state missing');
    await fx.store.putState({ ...main, completedAt: '2030-01-01T00:00:00.000Z' });
    t = 1000;
    const second = (await (await app.request(path, { headers: bearer(TOKENS.all) })).json()) as { results: unknown[] };
    expect(cache.stats.invalidations).toBe(1);
    expect(second.results.length).toBeLessThan(before);
  });
});
