/**
 * The default export (`src/app/index.ts`) configured from the environment: a lexical-only embedded
 * store in CODEIDX_DATA_DIR, opened lazily on the first search.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { embeddedBackend, readAppEnv } from '../../src/app/read-app-env.js';
import type { Logger } from '../../src/core/ports.js';
import { storeFileName } from '../../src/cli/wiring.js';
import { ConfigError } from '../../src/core/errors.js';
import { dirsOf, pointId, sha256Hex } from '../../src/core/identity.js';
import { emptyCounts } from '../../src/core/types.js';
import { API, DEFAULT_REF, REPO, asEvent, commentId, createTestProbot, createdPayload } from './fixtures.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-app-env-'));
const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-app-empty-'));

beforeAll(async () => {
  const store = await SqliteVectorStore.open({ path: path.join(dataDir, storeFileName(null)), space: null });
  const text = 'export function lexicalOnlyNeedle(): number {\n  return 42;\n}';
  const contentHash = sha256Hex(text);
  await store.upsert([
    {
      id: pointId({ repo: REPO, ref: DEFAULT_REF }, 'src/needle.ts', 0, contentHash),
      repo: REPO,
      ref: DEFAULT_REF,
      commit: 'd'.repeat(40),
      path: 'src/needle.ts',
      dirs: dirsOf('src/needle.ts'),
      language: 'typescript',
      symbol: 'lexicalOnlyNeedle',
      symbolKind: 'function',
      startLine: 5,
      endLine: 7,
      contentHash,
      fileHash: contentHash,
      text,
      vector: null,
    },
  ]);
  const at = new Date(0).toISOString();
  await store.putState({
    repo: REPO,
    ref: DEFAULT_REF,
    commit: 'd'.repeat(40),
    pendingCommit: null,
    model: 'none',
    chunkerVersion: 1,
    status: 'complete',
    counts: emptyCounts(),
    startedAt: at,
    completedAt: at,
  });
  await store.close();
  nock.disableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => {
  nock.enableNetConnect();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(emptyDir, { recursive: true, force: true });
});

function mockSearchReply(id: number): { body?: string } {
  const captured: { body?: string } = {};
  nock(API)
    .post(`/repos/${REPO}/issues/comments/${id}/reactions`, { content: 'eyes' })
    .reply(201, { id: 9 })
    .get(`/repos/${REPO}/issues/1/comments`)
    .query(true)
    .reply(200, [])
    .post(`/repos/${REPO}/issues/1/comments`, (b: { body: string }) => {
      captured.body = b.body;
      return true;
    })
    .reply(201, { id: 10 })
    .delete(`/repos/${REPO}/issues/comments/${id}/reactions/9`)
    .reply(204);
  return captured;
}

describe('default export', () => {
  it('searches the embedded store named by CODEIDX_DATA_DIR', async () => {
    process.env.CODEIDX_DATA_DIR = dataDir;
    process.env.CODEIDX_MODEL = 'none';
    const { default: appFn } = await import('../../src/app/index.js');
    const probot = createTestProbot();
    await probot.load(appFn);
    const payload = createdPayload('/search lexicalOnlyNeedle');
    const reply = mockSearchReply(commentId(payload));
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain(`/blob/${'d'.repeat(40)}/src/needle.ts#L5-L7`);
    expect(reply.body).toContain('· lexical');
  });
});

describe('readAppEnv', () => {
  it('parses defaults and values', () => {
    const env = readAppEnv({
      CODEIDX_DATA_DIR: emptyDir,
      CODEIDX_APP_RATE_LIMIT: '3',
      CODEIDX_APP_BOT_LOGIN: 'codeidx[bot]',
    });
    expect(env).toMatchObject({
      dataDir: emptyDir,
      rateLimit: { limit: 3, windowMs: 60_000 },
      botLogin: 'codeidx[bot]',
    });
  });

  it('rejects invalid values with the variable named', () => {
    expect(() => readAppEnv({ CODEIDX_APP_RATE_LIMIT: 'ten' })).toThrow(/CODEIDX_APP_RATE_LIMIT/);
    expect(() => readAppEnv({ CODEIDX_APP_RATE_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => readAppEnv({ CODEIDX_APP_BOT_LOGIN: 'someone' })).toThrow(/CODEIDX_APP_BOT_LOGIN/);
  });

  it('embeddedBackend fails clearly on a folder without an index, and does not cache the failure', async () => {
    const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-app-late-'));
    try {
      const open = embeddedBackend(readAppEnv({ CODEIDX_DATA_DIR: dir, CODEIDX_MODEL: 'none' }));
      await expect(open(quiet)).rejects.toThrow(/no codeidx index for model none/);
      fs.copyFileSync(path.join(dataDir, storeFileName(null)), path.join(dir, storeFileName(null)));
      const backend = await open(quiet);
      expect((await backend.store.listStates(REPO)).map((s) => s.ref)).toEqual([DEFAULT_REF]);
      expect(await open(quiet)).toBe(backend);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
