/**
 * A small real index for the API tests: a SqliteVectorStore filled with points of three repositories
 * of two tenants ("org/*" and "other/*"), vectors from the hash embedder, and an index state per ref.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { dirsOf, pointId, sha256Hex } from '../../src/core/identity.js';
import type { Logger } from '../../src/core/ports.js';
import { SearchService } from '../../src/core/search-service.js';
import { emptyCounts, type Point, type SymbolKind } from '../../src/core/types.js';
import { createApp, type ApiDeps } from '../../src/search-api/app.js';
import { hashToken, type AuthConfig } from '../../src/search-api/auth.js';
import { HashEmbedder } from '../fakes/hash-embedder.js';

export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = 'b'.repeat(40);
export const COMMIT_SECRET = 'c'.repeat(40);

/** Source of the fixture chunks: repo, path, symbol, kind, text. */
interface Doc {
  repo: string;
  ref: string;
  commit: string;
  path: string;
  symbol: string | null;
  kind: SymbolKind;
  language: string;
  text: string;
}

export const DOCS: Doc[] = [
  {
    repo: 'org/a',
    ref: 'refs/heads/main',
    commit: COMMIT_A,
    path: 'src/config/parse-config.ts',
    symbol: 'parseConfig',
    kind: 'function',
    language: 'typescript',
    text: 'export function parseConfig(text: string): Config {\n  // parse the config file\n  return JSON.parse(text) as Config;\n}',
  },
  {
    repo: 'org/a',
    ref: 'refs/heads/main',
    commit: COMMIT_A,
    path: 'src/http/retry.ts',
    symbol: 'retryRequest',
    kind: 'function',
    language: 'typescript',
    text: 'export async function retryRequest(fn: () => Promise<Response>, attempts = 3) {\n  for (let i = 0; i < attempts; i++) { try { return await fn(); } catch {} }\n}',
  },
  {
    repo: 'org/a',
    ref: 'refs/heads/dev',
    commit: COMMIT_A,
    path: 'src/config/parse-config.ts',
    symbol: 'parseConfig',
    kind: 'function',
    language: 'typescript',
    text: 'export function parseConfig(text: string): Config {\n  return YAML.parse(text) as Config; // dev branch\n}',
  },
  {
    repo: 'org/b',
    ref: 'refs/heads/main',
    commit: COMMIT_B,
    path: 'lib/render.go',
    symbol: 'RenderHTML',
    kind: 'function',
    language: 'go',
    // HTML in code: the page must show it as text.
    text: 'func RenderHTML(w io.Writer) {\n\tfmt.Fprint(w, "<script>alert(1)</script><img src=x onerror=alert(2)>")\n\t// parse config before render\n}',
  },
  {
    repo: 'other/secret',
    ref: 'refs/heads/main',
    commit: COMMIT_SECRET,
    path: 'src/config/parse-config.ts',
    symbol: 'parseConfig',
    kind: 'function',
    language: 'typescript',
    text: 'export function parseConfig(text: string) {\n  // SECRET_TENANT_MARKER parse config with the private key\n  return decrypt(text, PRIVATE_KEY);\n}',
  },
  {
    repo: 'other/secret',
    ref: 'refs/heads/main',
    commit: COMMIT_SECRET,
    path: 'docs/README.md',
    symbol: null,
    kind: 'text',
    language: 'markdown',
    text: '# Secret project\nSECRET_TENANT_MARKER parse config retry request render html',
  },
];

/** A marker that appears only in the other tenant's code: it must never be in a response to an org token. */
export const SECRET_MARKER = 'SECRET_TENANT_MARKER';

export const TOKENS = {
  org: 'tok-org-0123456789abcdef',
  orgA: 'tok-org-a-only-0123456789',
  all: 'tok-admin-0123456789abcdef',
  other: 'tok-other-0123456789abcdef',
} as const;

export const AUTH: AuthConfig = {
  tokens: [
    { name: 'org', sha256: hashToken(TOKENS.org), repos: ['org/*'] },
    { name: 'org-a', sha256: hashToken(TOKENS.orgA), repos: ['org/a'] },
    { name: 'admin', sha256: hashToken(TOKENS.all), repos: ['*/*'] },
    { name: 'other', sha256: hashToken(TOKENS.other), repos: ['other/*'] },
  ],
  publicRepos: [],
};

/** A logger that keeps lines in memory (and lets tests assert that no secret was logged). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`);
    };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** The fixture index on disk. */
export interface Fixture {
  readonly dir: string;
  readonly store: SqliteVectorStore;
  readonly embedder: HashEmbedder;
  readonly service: SearchService;
  cleanup(): Promise<void>;
}

/** Builds the fixture store in a fresh temp dir. */
export async function buildFixture(): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-api-'));
  const embedder = new HashEmbedder(8);
  const space = { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims };
  const store = await SqliteVectorStore.open({ path: path.join(dir, 'index.db'), space });
  const vectors = await embedder.embedDocuments(DOCS.map((d) => d.text));
  const points: Point[] = DOCS.map((d, i) => {
    const contentHash = sha256Hex(`${d.path}\n${d.text}`);
    const lines = d.text.split('\n').length;
    return {
      id: pointId({ repo: d.repo, ref: d.ref }, d.path, 0, contentHash),
      repo: d.repo,
      ref: d.ref,
      commit: d.commit,
      path: d.path,
      dirs: dirsOf(d.path),
      language: d.language,
      symbol: d.symbol,
      symbolKind: d.kind,
      startLine: 10,
      endLine: 10 + lines - 1,
      contentHash,
      fileHash: sha256Hex(d.text),
      text: d.text,
      vector: vectors[i],
    };
  });
  await store.upsert(points);
  const scopes = new Map(DOCS.map((d) => [`${d.repo} ${d.ref}`, d]));
  for (const d of scopes.values()) {
    await store.putState({
      repo: d.repo,
      ref: d.ref,
      commit: d.commit,
      pendingCommit: null,
      model: `${space.modelId}@${space.revision}`,
      chunkerVersion: 1,
      status: 'complete',
      counts: { ...emptyCounts(), chunks: DOCS.filter((x) => x.repo === d.repo && x.ref === d.ref).length },
      startedAt: '2024-05-01T10:00:00.000Z',
      completedAt: '2024-05-01T10:01:00.000Z',
    });
  }
  const service = new SearchService({ store, embedder });
  return {
    dir,
    store,
    embedder,
    service,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An app over the fixture with test defaults (overridable). */
export function appFor(fixture: Fixture, overrides: Partial<ApiDeps> = {}) {
  return createApp({
    search: fixture.service,
    store: fixture.store,
    auth: AUTH,
    logger: memoryLogger(),
    ...overrides,
  });
}

/** `Authorization` header for a token. */
export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
