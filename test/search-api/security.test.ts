import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorStore } from '../../src/core/ports.js';
import { SearchService } from '../../src/core/search-service.js';
import type { StoreQuery } from '../../src/core/types.js';
import { AccessPolicy, authConfigSchema, hashToken } from '../../src/search-api/auth.js';
import {
  AUTH,
  SECRET_MARKER,
  TOKENS,
  appFor,
  bearer,
  buildFixture,
  memoryLogger,
  type Fixture,
} from './fixtures.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await buildFixture();
});
afterAll(async () => {
  await fx.cleanup();
});

interface SearchBody {
  results: Array<{ repo: string; snippet: string; path: string }>;
}

const org = bearer(TOKENS.org);
const json = { 'Content-Type': 'application/json' };

describe('authentication', () => {
  it('needs a valid bearer token when no repository is public', async () => {
    const app = appFor(fx);
    const none = await app.request('/v1/search?q=parse');
    expect(none.status).toBe(401);
    expect(none.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    const wrong = await app.request('/v1/search?q=parse', { headers: bearer('not-a-token') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('WWW-Authenticate')).toMatch(/invalid_token/);
    const basic = await app.request('/v1/search?q=parse', {
      headers: { Authorization: `Basic ${btoa('a:b')}` },
    });
    expect(basic.status).toBe(401);
    const status = await app.request('/v1/repos/org/a/status');
    expect(status.status).toBe(401);
  });

  it('never logs the token', async () => {
    const logger = memoryLogger();
    const app = appFor(fx, { logger });
    await app.request('/v1/search?q=parse&mode=lexical', { headers: org });
    await app.request('/v1/search?q=parse', { headers: bearer('wrong-token-value') });
    const all = logger.lines.join('\n');
    expect(all).toContain('token:org');
    expect(all).not.toContain(TOKENS.org);
    expect(all).not.toContain('wrong-token-value');
  });

  it('validates the token configuration', () => {
    const good = { tokens: [{ name: 'ci', sha256: hashToken('x'), repos: ['org/*'] }] };
    expect(authConfigSchema.parse(good).publicRepos).toEqual([]);
    expect(() =>
      authConfigSchema.parse({ tokens: [{ name: 'ci', sha256: 'plain-token', repos: ['org/*'] }] }),
    ).toThrow(/sha256/);
    expect(() =>
      authConfigSchema.parse({ tokens: [{ name: 'ci', sha256: hashToken('x'), repos: ['!org/secret'] }] }),
    ).toThrow(/globs allowed/);
    expect(() =>
      authConfigSchema.parse({ tokens: [{ name: 'ci', sha256: hashToken('x'), repos: ['org'] }] }),
    ).toThrow(/owner\/name/);
    expect(() =>
      authConfigSchema.parse({ tokens: [{ name: 'ci', sha256: hashToken('x'), repos: [] }] }),
    ).toThrow(/at least one/);
    expect(() =>
      authConfigSchema.parse({
        tokens: [good.tokens[0], { name: 'ci', sha256: hashToken('y'), repos: ['a/b'] }],
      }),
    ).toThrow(/duplicate token name/);
  });

  it('matches scopes exactly: org/* is not org2/x, nor org/x/y; dot repositories match', () => {
    const policy = new AccessPolicy(AUTH);
    const p = policy.resolve(`Bearer ${TOKENS.org}`);
    expect(p.canRead('org/a')).toBe(true);
    expect(p.canRead('org/.github')).toBe(true);
    expect(p.canRead('org2/a')).toBe(false);
    expect(p.canRead('Org/a')).toBe(false);
    expect(p.canRead('other/secret')).toBe(false);
    expect(p.readsAll).toBe(false);
    expect(policy.resolve(`Bearer ${TOKENS.all}`).readsAll).toBe(true);
  });
});

describe('tenant isolation: an org/* token never reads other/*', () => {
  /** Strings found only in the other tenant's code (never in a query of these tests). */
  const SECRET_CODE = ['PRIVATE_KEY', 'decrypt(', 'Secret project'];
  const noLeak = async (res: Response) => {
    const text = await res.text();
    for (const secret of SECRET_CODE) expect(text).not.toContain(secret);
    const body = JSON.parse(text) as Partial<SearchBody>;
    for (const result of body.results ?? []) {
      expect(result.repo.startsWith('org/'), result.repo).toBe(true);
      expect(result.snippet).not.toContain(SECRET_MARKER);
    }
    return text;
  };

  it('filters an unscoped search to the token scope (org/* sees org/a and org/b only)', async () => {
    const app = appFor(fx);
    for (const mode of ['lexical', 'semantic', 'hybrid']) {
      // Every document of the store matches this query, including both of the other tenant's.
      const res = await app.request(
        `/v1/search?q=${encodeURIComponent(`${SECRET_MARKER} parse config retry render`)}&k=100&mode=${mode}`,
        { headers: org },
      );
      expect(res.status).toBe(200);
      const body = JSON.parse(await noLeak(res)) as SearchBody;
      expect(body.results.length).toBeGreaterThan(0);
      expect(new Set(body.results.map((r) => r.repo))).toEqual(new Set(['org/a', 'org/b']));
    }
    // The other tenant's own token does see its code (so the marker query above can find it).
    const theirs = (await (
      await app.request(`/v1/search?q=${SECRET_MARKER}&mode=lexical`, { headers: bearer(TOKENS.other) })
    ).json()) as SearchBody;
    expect(theirs.results.length).toBe(2);
    expect(theirs.results.every((r) => r.repo === 'other/secret')).toBe(true);
  });

  it('a single-repo token sees only that repo, even with no repo parameter', async () => {
    const res = await appFor(fx).request('/v1/search?q=parse+config+render&k=100&mode=lexical', {
      headers: bearer(TOKENS.orgA),
    });
    const body = (await res.json()) as SearchBody;
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.every((r) => r.repo === 'org/a')).toBe(true);
  });

  it('403s a repo parameter outside the scope, for GET and POST, indexed or not', async () => {
    const app = appFor(fx);
    for (const repo of ['other/secret', 'other/missing', 'org2/a', 'Org/a']) {
      const get = await app.request(`/v1/search?q=parse&repo=${encodeURIComponent(repo)}`, { headers: org });
      expect(get.status, repo).toBe(403);
      const text = await noLeak(get);
      expect(text).toContain('may not read');
      const post = await app.request('/v1/search', {
        method: 'POST',
        headers: { ...org, ...json },
        body: JSON.stringify({ q: 'parse', repo }),
      });
      expect(post.status, repo).toBe(403);
      await noLeak(post);
    }
  });

  it('gives the same answer for an indexed and a non-indexed foreign repo (no existence oracle)', async () => {
    const app = appFor(fx);
    const a = await app.request('/v1/repos/other/secret/status', { headers: org });
    const b = await app.request('/v1/repos/other/nothing/status', { headers: org });
    expect(a.status).toBe(403);
    expect(b.status).toBe(403);
    const strip = (t: string) =>
      t.replace(/"requestId":"[^"]*"/, '').replace(/other\/(secret|nothing)/g, 'X');
    expect(strip(await a.text())).toBe(strip(await b.text()));
  });

  it('cannot escape the scope through path, ref, lang, kind or q', async () => {
    const app = appFor(fx);
    const attempts = [
      `q=parse&path=${encodeURIComponent('../other/secret/src')}`,
      `q=parse&path=${encodeURIComponent('/other/secret')}`,
      `q=parse&ref=${encodeURIComponent('refs/heads/main')}&k=100&mode=lexical`,
      `q=parse&ref=${encodeURIComponent('refs/heads/main OR 1=1')}`,
      `q=${encodeURIComponent("parse' OR repo='other/secret")}&k=100&mode=lexical`,
      `q=${encodeURIComponent('repo:other/secret parse')}&k=100&mode=lexical`,
      `q=${encodeURIComponent(`${SECRET_MARKER}`)}&k=100&mode=lexical`,
      `q=${encodeURIComponent('"SECRET_TENANT_MARKER" OR parse')}&k=100&mode=hybrid`,
      `q=parse&lang=${encodeURIComponent("typescript' OR '1'='1")}`,
      `q=parse&kind=function&k=100&mode=semantic`,
      `q=parse&repo=${encodeURIComponent('org/a%00other/secret')}`,
      `q=parse&repo=${encodeURIComponent('org/*')}`,
      `q=parse&repo=${encodeURIComponent('*/*')}`,
      'q=parse&repo=org/a&repo=other/secret',
      'q=parse&REPO=other/secret',
    ];
    for (const query of attempts) {
      const res = await app.request(`/v1/search?${query}`, { headers: org });
      expect([200, 400, 403], query).toContain(res.status);
      const text = await noLeak(res);
      if (res.status === 200) {
        const body = JSON.parse(text) as SearchBody;
        expect(
          body.results.every((r) => r.repo.startsWith('org/')),
          query,
        ).toBe(true);
      }
    }
    // Same through the POST body, with extra fields trying to widen the scope.
    const bodies = [
      { q: SECRET_MARKER, k: 100, mode: 'lexical' },
      { q: 'parse', repos: ['other/secret'] },
      { q: 'parse', filter: { repo: 'other/secret' } },
      { q: 'parse', repo: ['other/secret'] },
      { q: 'parse', repo: 'org/a', __proto__: { repo: 'other/secret' } },
    ];
    for (const body of bodies) {
      const res = await app.request('/v1/search', {
        method: 'POST',
        headers: { ...org, ...json },
        body: JSON.stringify(body),
      });
      expect([200, 400, 403]).toContain(res.status);
      await noLeak(res);
    }
  });

  it('drops foreign hits even when the store ignores the repo filter', async () => {
    // A broken store that returns every tenant's hits whatever the filter says.
    const leaky: VectorStore = new Proxy(fx.store, {
      get(target, prop, receiver) {
        if (prop === 'query') return (q: StoreQuery) => target.query({ ...q, filter: {} });
        if (prop === 'listStates') return () => target.listStates();
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const app = appFor(fx, {
      store: leaky,
      search: new SearchService({ store: leaky, embedder: fx.embedder }),
    });
    for (const query of [
      `q=${SECRET_MARKER}&k=100&mode=lexical`,
      `q=${SECRET_MARKER}&repo=org/a&k=100&mode=lexical`,
    ]) {
      const res = await app.request(`/v1/search?${query}`, { headers: org });
      expect(res.status).toBe(200);
      await noLeak(res);
    }
    const status = await app.request('/v1/repos/org/a/status', { headers: org });
    expect(await status.text()).not.toContain('other/secret');
  });

  it('anonymous callers read only the public repositories', async () => {
    const app = appFor(fx, { auth: { ...AUTH, publicRepos: ['org/b'] } });
    const res = await app.request('/v1/search?q=parse+config+render&k=100&mode=lexical');
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchBody;
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.every((r) => r.repo === 'org/b')).toBe(true);
    const privateRepo = await app.request('/v1/search?q=parse&repo=org/a');
    expect(privateRepo.status).toBe(401);
    expect((await app.request('/v1/repos/org/b/status')).status).toBe(200);
    expect((await app.request('/v1/repos/other/secret/status')).status).toBe(401);
    // A token still works next to anonymous access, with its own scope.
    const tokened = await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', { headers: org });
    expect(tokened.status).toBe(200);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a token exceeds its quota, per token', async () => {
    const app = appFor(fx, { rateLimit: { limit: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', { headers: org })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', { headers: org });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Another token has its own quota; health checks are never limited.
    expect(
      (await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', { headers: bearer(TOKENS.all) }))
        .status,
    ).toBe(200);
    expect((await app.request('/healthz')).status).toBe(200);
  });
});

describe('CORS', () => {
  const origin = 'https://portal.example.com';
  it('allows configured origins, preflight included', async () => {
    const app = appFor(fx, { corsOrigins: [origin] });
    const preflight = await app.request('/v1/search', {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe(origin);
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
    const res = await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', {
      headers: { ...org, Origin: origin },
    });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(origin);
  });

  it('gives no CORS grant to other origins', async () => {
    const app = appFor(fx, { corsOrigins: [origin] });
    for (const evil of ['https://evil.example.com', 'https://portal.example.com.evil.com', 'null']) {
      const preflight = await app.request('/v1/search', {
        method: 'OPTIONS',
        headers: { Origin: evil, 'Access-Control-Request-Method': 'GET' },
      });
      expect(preflight.headers.get('Access-Control-Allow-Origin'), evil).toBeNull();
      const res = await app.request('/v1/search?q=parse&repo=org/a&mode=lexical', {
        headers: { ...org, Origin: evil },
      });
      expect(res.headers.get('Access-Control-Allow-Origin'), evil).toBeNull();
    }
    // With no allowlist, nothing is granted.
    const closed = await appFor(fx).request('/v1/search?q=parse&repo=org/a', {
      headers: { ...org, Origin: origin },
    });
    expect(closed.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
