import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubFileNotFoundError, downloadHubFile } from '../../../src/adapters/hf/hub-download.js';
import { ModelError, ModelUnavailableError } from '../../../src/core/errors.js';
import { sha256, startHubServer, type HubFile, type HubServer } from './hub-test-server.js';

const MODEL = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
const CONFIG = Buffer.from('{"hidden_size": 32}\n');

describe('downloadHubFile', () => {
  let server: HubServer;
  let cache: string;
  const files = new Map<string, HubFile>();

  beforeEach(async () => {
    files.clear();
    files.set('org/m/main/onnx/model.onnx', { content: MODEL, lfs: true, mode: 'ok' });
    files.set('org/m/main/config.json', { content: CONFIG, lfs: false, mode: 'ok' });
    server = await startHubServer(files);
    cache = mkdtempSync(join(tmpdir(), 'codeidx-hub-'));
  });
  afterEach(async () => {
    await server.close();
    rmSync(cache, { recursive: true, force: true });
  });

  const request = (path: string, pin: string | null) => ({
    endpoint: server.endpoint,
    repo: 'org/m',
    revision: 'main',
    path,
    sha256: pin,
    target: join(cache, ...path.split('/')),
  });
  const fast = { retries: 2, minTimeoutMs: 1 };
  /** Every file under the cache, recursively (temp files included). */
  const cached = (): string[] => readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);

  it('downloads a pinned file through the redirect, then serves it from the cache', async () => {
    const target = await downloadHubFile(request('onnx/model.onnx', sha256(MODEL)), fast);
    expect(readFileSync(target)).toEqual(MODEL);
    server.requests = [];
    await downloadHubFile(request('onnx/model.onnx', sha256(MODEL)), fast);
    expect(server.requests).toEqual([]);
  });

  it('verifies an unpinned LFS file against X-Linked-ETag and a git file against its blob sha1', async () => {
    expect(readFileSync(await downloadHubFile(request('onnx/model.onnx', null), fast))).toEqual(MODEL);
    expect(readFileSync(await downloadHubFile(request('config.json', null), fast))).toEqual(CONFIG);
    expect(server.requests.some((r) => r.startsWith('HEAD'))).toBe(true);
  });

  it('rejects a pinned checksum mismatch, without retrying and leaving nothing in the cache', async () => {
    const wrong = sha256(Buffer.from('something else'));
    const error = await downloadHubFile(request('onnx/model.onnx', wrong), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).not.toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toMatch(/checksum mismatch/);
    expect(cached()).toEqual([]);
    expect(server.requests.filter((r) => r.startsWith('GET /cdn')).length).toBe(1);
  });

  it('rejects content that does not match the hash the Hub reports', async () => {
    (files.get('org/m/main/onnx/model.onnx') as HubFile).mode = 'corrupt';
    await expect(downloadHubFile(request('onnx/model.onnx', null), fast)).rejects.toThrow(/checksum mismatch/);
    expect(cached()).toEqual([]);
  });

  it('refuses a file with neither a pin nor a Hub hash', async () => {
    (files.get('org/m/main/config.json') as HubFile).mode = 'no-hash';
    await expect(downloadHubFile(request('config.json', null), fast)).rejects.toThrow(/refusing/);
    expect(cached()).toEqual([]);
  });

  it('reports a dropped connection as unavailable after retries, leaving nothing behind', async () => {
    (files.get('org/m/main/onnx/model.onnx') as HubFile).mode = 'drop';
    const error = await downloadHubFile(request('onnx/model.onnx', sha256(MODEL)), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(describeMessage(error)).toMatch(/cannot download org\/m@main\/onnx\/model.onnx/);
    expect(cached()).toEqual([]);
    expect(server.requests.filter((r) => r.startsWith('GET /cdn')).length).toBe(3);
  });

  it('retries a dropped connection and succeeds', async () => {
    (files.get('org/m/main/onnx/model.onnx') as HubFile).mode = 'drop-once';
    const target = await downloadHubFile(request('onnx/model.onnx', sha256(MODEL)), fast);
    expect(readFileSync(target)).toEqual(MODEL);
    expect(cached()).toEqual(['model.onnx']);
  });

  it('reports a 404 as a definite not-found error, not as unavailable', async () => {
    const error = await downloadHubFile(request('onnx/missing.onnx', null), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubFileNotFoundError);
    expect(error).not.toBeInstanceOf(ModelUnavailableError);
    expect(server.requests.length).toBe(1);
  });

  it('reports an unreachable Hub as unavailable', async () => {
    await server.close();
    const error = await downloadHubFile(request('onnx/model.onnx', sha256(MODEL)), { retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    server = await startHubServer(files);
  });
});

function describeMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
