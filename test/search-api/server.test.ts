import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { ConfigError } from '../../src/core/errors.js';
import { dirsOf, pointId, sha256Hex } from '../../src/core/identity.js';
import type { VectorStore } from '../../src/core/ports.js';
import { SearchService } from '../../src/core/search-service.js';
import { emptyCounts, type SearchHit, type StoreQuery } from '../../src/core/types.js';
import { createServerFromEnv, parseServerEnv } from '../../src/search-api/config.js';
import { hashToken } from '../../src/search-api/auth.js';
import { startServer } from '../../src/search-api/server.js';
import { TOKENS, appFor, buildFixture, memoryLogger, type Fixture } from './fixtures.js';

const TOKENS_JSON = JSON.stringify([{ name: 'ci', sha256: hashToken('secret-token'), repos: ['org/*'] }]);

describe('parseServerEnv', () => {
  const base = { CODEIDX_STORE: '/tmp/x.db', CODEIDX_PUBLIC_REPOS: '*/*' };

  it('applies defaults and parses every variable', () => {
    expect(parseServerEnv(base)).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      device: 'auto',
      rateLimitPerMinute: 120,
      responseCacheEntries: 1000,
      logLevel: 'info',
      corsOrigins: [],
    });
    const c = parseServerEnv({
      CODEIDX_STORE: '/data/index.db',
      CODEIDX_MODEL: 'none',
      PORT: '0',
      HOST: '0.0.0.0',
      CODEIDX_API_TOKENS: TOKENS_JSON,
      CODEIDX_PUBLIC_REPOS: 'org/docs, org/site',
      CODEIDX_CORS_ORIGINS: 'https://portal.example.com,http://localhost:3000',
      CODEIDX_RATE_LIMIT: '30',
      CODEIDX_RESPONSE_CACHE: '0',
      LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      storePath: '/data/index.db',
      model: 'none',
      port: 0,
      host: '0.0.0.0',
      rateLimitPerMinute: 30,
      responseCacheEntries: 0,
      logLevel: 'warn',
    });
    expect(c.auth.publicRepos).toEqual(['org/docs', 'org/site']);
    expect(c.auth.tokens).toEqual([{ name: 'ci', sha256: hashToken('secret-token'), repos: ['org/*'] }]);
    expect(c.corsOrigins).toEqual(['https://portal.example.com', 'http://localhost:3000']);
  });

  it('reads tokens from a file, in the object form with public repositories', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-cfg-'));
    try {
      const file = path.join(dir, 'tokens.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ tokens: JSON.parse(TOKENS_JSON) as unknown, publicRepos: ['org/docs'] }),
      );
      const c = parseServerEnv({ CODEIDX_STORE: '/x.db', CODEIDX_API_TOKENS_FILE: file });
      expect(c.auth.tokens.map((t) => t.name)).toEqual(['ci']);
      expect(c.auth.publicRepos).toEqual(['org/docs']);
      expect(() =>
        parseServerEnv({ CODEIDX_STORE: '/x.db', CODEIDX_API_TOKENS_FILE: path.join(dir, 'missing.json') }),
      ).toThrow(/CODEIDX_API_TOKENS_FILE: cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names each missing or bad variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ CODEIDX_PUBLIC_REPOS: '*/*' }, /CODEIDX_STORE: is required/],
      [{ ...base, PORT: 'eighty' }, /PORT: must be a port number/],
      [{ ...base, PORT: '70000' }, /PORT: must be a port number/],
      [{ ...base, CODEIDX_DEVICE: 'tpu' }, /CODEIDX_DEVICE: must be auto, cpu or cuda/],
      [{ ...base, CODEIDX_RATE_LIMIT: '0' }, /CODEIDX_RATE_LIMIT: must be at least 1/],
      [{ ...base, LOG_LEVEL: 'loud' }, /LOG_LEVEL: /],
      [
        { ...base, CODEIDX_CORS_ORIGINS: 'https://a.example.com/' },
        /CODEIDX_CORS_ORIGINS\.0: each origin is scheme:\/\/host/,
      ],
      [{ ...base, CODEIDX_CORS_ORIGINS: '*' }, /CODEIDX_CORS_ORIGINS/],
      [{ ...base, CODEIDX_PUBLIC_REPOS: 'org' }, /CODEIDX_PUBLIC_REPOS\.0: a repository pattern/],
      [{ CODEIDX_STORE: '/x.db', CODEIDX_API_TOKENS: '{not json' }, /CODEIDX_API_TOKENS: not valid JSON/],
      [
        { CODEIDX_STORE: '/x.db', CODEIDX_API_TOKENS: '[{"name":"ci","sha256":"plain","repos":["org/*"]}]' },
        /CODEIDX_API_TOKENS\.tokens\.0\.sha256: /,
      ],
      [
        { CODEIDX_STORE: '/x.db', CODEIDX_API_TOKENS: TOKENS_JSON, CODEIDX_API_TOKENS_FILE: '/x' },
        /not both/,
      ],
      [{ CODEIDX_STORE: '/x.db' }, /no access is configured/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        parseServerEnv(env);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as Error).message, JSON.stringify(env)).toMatch(message);
    }
    // Several bad variables are all reported at once.
    for (const name of ['CODEIDX_STORE', 'PORT', 'CODEIDX_DEVICE']) {
      expect(() => parseServerEnv({ PORT: 'x', CODEIDX_DEVICE: 'tpu' })).toThrow(
        new RegExp(`\\n  ${name}: `),
      );
    }
  });
});

/** A lexical-only store with one chunk, as `codeidx index --model none` builds. */
async function lexicalStore(dir: string): Promise<string> {
  const file = path.join(dir, 'index-lexical.db');
  const store = await SqliteVectorStore.open({ path: file, space: null });
  const text = 'export function parseConfig(text: string) {\n  return JSON.parse(text);\n}';
  const scope = { repo: 'org/a', ref: 'refs/heads/main' };
  const contentHash = sha256Hex(text);
  await store.upsert([
    {
      id: pointId(scope, 'src/config.ts', 0, contentHash),
      ...scope,
      commit: 'a'.repeat(40),
      path: 'src/config.ts',
      dirs: dirsOf('src/config.ts'),
      language: 'typescript',
      symbol: 'parseConfig',
      symbolKind: 'function',
      startLine: 1,
      endLine: 3,
      contentHash,
      fileHash: contentHash,
      text,
      vector: null,
    },
  ]);
  await store.putState({
    ...scope,
    commit: 'a'.repeat(40),
    pendingCommit: null,
    model: 'none',
    chunkerVersion: 1,
    status: 'complete',
    counts: emptyCounts(),
    startedAt: new Date(0).toISOString(),
    completedAt: new Date(0).toISOString(),
  });
  await store.close();
  return file;
}

describe('createServerFromEnv', () => {
  let dir: string;
  let storePath: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-srv-'));
    storePath = await lexicalStore(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves a lexical store over HTTP and stops', async () => {
    const server = await createServerFromEnv(
      { CODEIDX_STORE: storePath, CODEIDX_API_TOKENS: TOKENS_JSON, PORT: '0', HOST: '127.0.0.1' },
      { logger: memoryLogger() },
    );
    const running = await server.listen();
    try {
      const res = await fetch(`${running.url}/v1/search?q=parseConfig`, {
        headers: { Authorization: 'Bearer secret-token' },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { mode: string; results: Array<{ path: string }> };
      expect(body.mode).toBe('lexical');
      expect(body.results.map((r) => r.path)).toEqual(['src/config.ts']);
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('refuses a missing store, a model that does not match the store, and a port in use', async () => {
    const env = { CODEIDX_STORE: path.join(dir, 'missing.db'), CODEIDX_PUBLIC_REPOS: '*/*', PORT: '0' };
    await expect(createServerFromEnv(env, { logger: memoryLogger() })).rejects.toThrow(
      /CODEIDX_STORE: no store at/,
    );
    const modelDir = path.join(dir, 'no-model-here');
    await expect(
      createServerFromEnv(
        { ...env, CODEIDX_STORE: storePath, CODEIDX_MODEL: modelDir },
        { logger: memoryLogger() },
      ),
    ).rejects.toThrow(/does not exist|model/);
    const first = await createServerFromEnv({ ...env, CODEIDX_STORE: storePath }, { logger: memoryLogger() });
    const running = await first.listen();
    try {
      const second = await createServerFromEnv(
        { ...env, CODEIDX_STORE: storePath, PORT: String(running.port) },
        { logger: memoryLogger() },
      );
      await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
      await second.close();
    } finally {
      await first.close();
    }
  });

  it('stops gracefully on SIGTERM as a real process (exit 0)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/search-api/main.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        CODEIDX_STORE: storePath,
        CODEIDX_PUBLIC_REPOS: '*/*',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^"\s]+)/.exec(out);
        if (m) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${err}`)));
    });
    const res = await fetch(`${url}/v1/search?q=parse`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('received SIGTERM');
    expect(out).toContain('server stopped');
  });
});

describe('graceful shutdown', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await buildFixture();
  });
  afterAll(async () => {
    await fx.cleanup();
  });

  it('lets a request in flight finish after close() begins, and refuses new connections', async () => {
    // A store whose query waits for a gate, so the request is provably in flight when close() starts.
    let entered!: () => void;
    const inQuery = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: VectorStore = new Proxy(fx.store, {
      get(target, prop, receiver) {
        if (prop === 'query') {
          return async (q: StoreQuery): Promise<SearchHit[]> => {
            entered();
            await gate;
            return target.query(q);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const app = appFor(fx, {
      store: slow,
      search: new SearchService({ store: slow, embedder: fx.embedder }),
    });
    const running = await startServer(app, { port: 0, host: '127.0.0.1', logger: memoryLogger() });
    const inflight = fetch(`${running.url}/v1/search?q=parseConfig&repo=org/a&mode=lexical`, {
      headers: { Authorization: `Bearer ${TOKENS.org}` },
    });
    await inQuery;
    const closed = running.close();
    // The listener is closed at once: a new connection is refused while the first request still runs.
    await expect(fetch(`${running.url}/healthz`, { headers: { Connection: 'close' } })).rejects.toThrow();
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);
    await closed;
    expect(running.server.listening).toBe(false);
  });
});
