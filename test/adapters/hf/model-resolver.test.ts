import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedModelDir, loadModelDirectory, resolveModel } from '../../../src/adapters/hf/model-resolver.js';
import { ModelError, ModelUnavailableError } from '../../../src/core/errors.js';
import type { ModelEntry } from '../../../src/core/model-registry.js';
import { closedEndpoint, sha256, startHubServer, type HubFile, type HubServer } from './hub-test-server.js';

const ONNX = Buffer.from('not really onnx, only bytes to download');
const TOKENIZER = Buffer.from('{"model": {}}');

const ENTRY: ModelEntry = {
  id: 'org/m',
  aliases: ['m-short'],
  hubId: 'org/m',
  revision: 'main',
  dims: 8,
  maxTokens: 64,
  pooling: 'cls',
  queryPrefix: 'q: ',
  documentPrefix: 'd: ',
  onnxFile: 'onnx/model.onnx',
  files: [
    { path: 'onnx/model.onnx', sha256: sha256(ONNX), required: true },
    { path: 'tokenizer.json', sha256: null, required: true },
    { path: 'tokenizer_config.json', sha256: null, required: false },
  ],
  description: 'test model',
};

describe('resolveModel', () => {
  let server: HubServer;
  let root: string;
  const files = new Map<string, HubFile>([
    ['org/m/main/onnx/model.onnx', { content: ONNX, lfs: true, mode: 'ok' }],
    ['org/m/main/tokenizer.json', { content: TOKENIZER, lfs: false, mode: 'ok' }],
    ['org/m/v2/onnx/model.onnx', { content: ONNX, lfs: true, mode: 'ok' }],
  ]);

  beforeAll(async () => {
    server = await startHubServer(files);
    root = mkdtempSync(join(tmpdir(), 'codeidx-resolve-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const options = (cacheDir: string) => ({ endpoint: server.endpoint, cacheDir, registry: [ENTRY], retries: 1, minTimeoutMs: 1 });

  it('downloads a registry model once into the cache, skipping a missing optional file', async () => {
    const cacheDir = join(root, 'cache1');
    const resolved = await resolveModel('m-short', options(cacheDir));
    expect(resolved.source).toBe('hub');
    expect(resolved.info).toEqual({ id: 'org/m', revision: 'main', dims: 8, maxTokens: 64, pooling: 'cls', queryPrefix: 'q: ', documentPrefix: 'd: ' });
    expect(resolved.dir).toBe(cachedModelDir(cacheDir, ENTRY, 'main'));
    expect(readFileSync(resolved.modelPath)).toEqual(ONNX);
    expect(readFileSync(join(resolved.dir, 'tokenizer.json'))).toEqual(TOKENIZER);
    server.requests = [];
    const again = await resolveModel('org/m@main', { ...options(cacheDir), endpoint: await closedEndpoint() });
    expect(again.modelPath).toBe(resolved.modelPath);
    expect(server.requests).toEqual([]);
  });

  it('fails with a plain ModelError when a required file is missing at that revision', async () => {
    const error = await resolveModel('org/m@v2', options(join(root, 'cache2'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).not.toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toMatch(/tokenizer.json not found/);
  });

  it('tells "unavailable" when the Hub cannot be reached and nothing is cached', async () => {
    const error = await resolveModel('org/m', { ...options(join(root, 'cache3')), endpoint: await closedEndpoint() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
  });

  it('rejects an unknown id with the list of known ids', async () => {
    const error = await resolveModel('nobody/nothing@main', options(join(root, 'cache4'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).not.toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelError).message).toMatch(/unknown model "nobody\/nothing@main"/);
    expect((error as ModelError).hint).toMatch(/org\/m/);
  });

  it('rejects a path that does not exist', async () => {
    await expect(resolveModel('./no/such/dir', options(join(root, 'c5')))).rejects.toThrow(/does not exist/);
  });
});

describe('loadModelDirectory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-localmodel-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads codeidx-model.json', async () => {
    const d = join(dir, 'a');
    mkdirSync(d);
    writeFileSync(join(d, 'model.onnx'), 'x');
    writeFileSync(join(d, 'tokenizer.json'), '{}');
    writeFileSync(join(d, 'codeidx-model.json'), JSON.stringify({ id: 'me/a', revision: 'r1', dims: 32, pooling: 'mean', maxTokens: 128, queryPrefix: 'query: ' }));
    const m = await resolveModel(d);
    expect(m.source).toBe('local');
    expect(m.modelPath).toBe(join(d, 'model.onnx'));
    expect(m.info).toEqual({ id: 'me/a', revision: 'r1', dims: 32, pooling: 'mean', maxTokens: 128, queryPrefix: 'query: ', documentPrefix: '' });
  });

  it('reads the hybrid fusion of codeidx-model.json, and rejects a k or weight Qdrant could not take', async () => {
    const d = join(dir, 'fusion');
    mkdirSync(d);
    writeFileSync(join(d, 'model.onnx'), 'x');
    writeFileSync(join(d, 'tokenizer.json'), '{}');
    const base = { id: 'me/f', revision: 'r1', dims: 32, pooling: 'mean', maxTokens: 128 };
    const fusion = { k: 1, weights: { semantic: 1, lexical: 0.5 } };
    writeFileSync(join(d, 'codeidx-model.json'), JSON.stringify({ ...base, fusion }));
    expect((await loadModelDirectory(d)).info.fusion).toEqual(fusion);
    for (const bad of [
      { k: 1.5, weights: fusion.weights },
      { k: -1, weights: fusion.weights },
      { k: 1, weights: { semantic: 0, lexical: 1 } },
      { k: 1, weights: { semantic: 1 } },
    ]) {
      writeFileSync(join(d, 'codeidx-model.json'), JSON.stringify({ ...base, fusion: bad }));
      await expect(loadModelDirectory(d)).rejects.toThrow(/invalid .*codeidx-model.json: fusion\./);
    }
  });

  it('derives facts from a Hugging Face layout (config.json, 1_Pooling, onnx/model_quantized.onnx)', async () => {
    const d = join(dir, 'b');
    mkdirSync(join(d, 'onnx'), { recursive: true });
    mkdirSync(join(d, '1_Pooling'));
    writeFileSync(join(d, 'onnx', 'model_quantized.onnx'), 'y');
    writeFileSync(join(d, 'tokenizer.json'), '{}');
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 256 }));
    writeFileSync(join(d, 'config.json'), JSON.stringify({ hidden_size: 384, max_position_embeddings: 512 }));
    writeFileSync(join(d, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_cls_token: true }));
    const m = await loadModelDirectory(d);
    expect(m.modelPath).toBe(join(d, 'onnx', 'model_quantized.onnx'));
    expect(m.info).toMatchObject({ id: 'local/b', dims: 384, pooling: 'cls', maxTokens: 256 });
    expect(m.info.revision).toBe(sha256(Buffer.from('y')).slice(0, 12));
  });

  it('rejects a directory without tokenizer.json, graph or config', async () => {
    const d = join(dir, 'c');
    mkdirSync(d);
    await expect(loadModelDirectory(d)).rejects.toThrow(/no tokenizer.json/);
    writeFileSync(join(d, 'tokenizer.json'), '{}');
    await expect(loadModelDirectory(d)).rejects.toThrow(/no ONNX graph/);
    writeFileSync(join(d, 'model.onnx'), 'z');
    await expect(loadModelDirectory(d)).rejects.toThrow(/neither codeidx-model.json nor config.json/);
    writeFileSync(join(d, 'codeidx-model.json'), JSON.stringify({ id: 'x', revision: 'r', dims: -1, pooling: 'max', maxTokens: 8 }));
    await expect(loadModelDirectory(d)).rejects.toThrow(/invalid .*codeidx-model.json: dims.*pooling/);
  });
});
