import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadHubFile } from '../../../src/adapters/hf/hub-download.js';
import { ModelUnavailableError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/ports.js';

describe('downloadHubFile offline', () => {
  it('fails at once with ModelUnavailableError and no retry warnings when the host does not resolve', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-offline-'));
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    let calls = 0;
    const offlineFetch = (() => {
      calls++;
      const cause = Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), { code: 'ENOTFOUND' });
      return Promise.reject(new TypeError('fetch failed', { cause }));
    }) as typeof fetch;
    const request = {
      endpoint: 'https://huggingface.co',
      repo: 'Xenova/all-MiniLM-L6-v2',
      revision: 'main',
      path: 'onnx/model_quantized.onnx',
      sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
      target: path.join(dir, 'model_quantized.onnx'),
    };
    await expect(downloadHubFile(request, { logger, fetch: offlineFetch, minTimeoutMs: 1 })).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(calls).toBe(1);
    expect(warnings).toEqual([]);
    expect(fs.existsSync(request.target)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
