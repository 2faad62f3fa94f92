import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIo } from '../../src/cli/main.js';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { ConfigError } from '../../src/core/errors.js';

const WEBHOOK_SECRET = 'serve-test-secret';
let dir: string;
let storePath: string;
let handle: ServeHandle;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-serve-'));
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, 'retry.ts'), 'export function retryWithBackoff(attempts: number): number {\n  return 2 ** attempts;\n}\n');
  const io: CliIo = { stdout() {}, stderr() {}, env: {}, cwd: tree, isTTY: false };
  expect(await main(['node', 'codeidx', 'index', '--model', 'none', '--repo', 'acme/tools', '--quiet'], io)).toBe(EXIT.ok);
  storePath = path.join(tree, '.codeidx', 'index-lexical.db');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  handle = await startServe({
    CODEIDX_STORE: storePath,
    CODEIDX_PUBLIC_REPOS: 'acme/*',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    APP_ID: '12345',
    PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    WEBHOOK_SECRET,
  });
});

afterAll(async () => {
  await handle?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('codeidx serve', () => {
  it('serves the API, the web page and health on one port', async () => {
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
    const page = await fetch(`${handle.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<input/);
    const search = await fetch(`${handle.url}/v1/search?q=retry%20backoff&repo=acme/tools`);
    expect(search.status).toBe(200);
    const body = (await search.json()) as { results: Array<{ path: string; symbol: string }> };
    expect(body.results[0]).toMatchObject({ path: 'retry.ts', symbol: 'retryWithBackoff' });
  });

  it('accepts a signed webhook delivery and rejects a bad signature', async () => {
    expect(handle.webhookPath).toBe('/api/github/webhooks');
    const payload = JSON.stringify({
      action: 'created',
      comment: { id: 1, body: 'looks good to me', user: { login: 'octocat', type: 'User' } },
      issue: { number: 1 },
      repository: { full_name: 'acme/tools', name: 'tools', owner: { login: 'acme' } },
      sender: { login: 'octocat', type: 'User' },
      installation: { id: 1 },
    });
    const deliver = async (signature: string) =>
      fetch(`${handle.url}${handle.webhookPath}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': 'd-1',
          'x-hub-signature-256': signature,
        },
        body: payload,
      });
    expect((await deliver(await sign(WEBHOOK_SECRET, payload))).status).toBe(200);
    expect((await deliver(await sign('wrong-secret', payload))).status).toBe(400);
  });

  it('refuses an incomplete App configuration, naming what is missing', async () => {
    await expect(startServe({ CODEIDX_STORE: storePath, CODEIDX_PUBLIC_REPOS: '*/*', APP_ID: '1' })).rejects.toThrow(ConfigError);
    await expect(startServe({ CODEIDX_STORE: storePath, CODEIDX_PUBLIC_REPOS: '*/*', APP_ID: '1' })).rejects.toThrow(
      /PRIVATE_KEY or PRIVATE_KEY_PATH and WEBHOOK_SECRET/,
    );
  });
});
