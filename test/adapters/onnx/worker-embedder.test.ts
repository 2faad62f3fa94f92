/**
 * `WorkerEmbedder` gives the in-thread `OnnxEmbedder`'s vectors, from a worker thread, and fails
 * clearly (never hangs) when the model cannot load or the worker dies.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSyntheticModel } from '../../../scripts/make-synthetic-model.js';
import { loadModelDirectory } from '../../../src/adapters/hf/model-resolver.js';
import { OnnxEmbedder } from '../../../src/adapters/onnx/onnx-embedder.js';
import { WorkerEmbedder } from '../../../src/adapters/onnx/worker-embedder.js';
import {
  discardPrestartedWorker,
  prestartEmbedWorker,
  takePrestartedWorker,
} from '../../../src/adapters/onnx/worker-prestart.js';
import { resolveBuiltinModel } from '../../../src/adapters/static-model/builtin-model.js';
import { EmbeddingError, ModelError } from '../../../src/core/errors.js';

const TEXTS = [
  'path: src/retry.ts\n\nexport function retryWithBackoff(attempt: number) { return 2 ** attempt; }',
  'def verify_signature(secret, body):\n    return hmac.compare_digest(sign(secret, body), body)',
  '',
  '!!! ??? ...',
  'x'.repeat(5000),
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-worker-embedder-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('WorkerEmbedder', () => {
  it('returns the same vectors as OnnxEmbedder in this thread (built-in static model)', async () => {
    const model = await resolveBuiltinModel();
    const inThread = await OnnxEmbedder.create(model, { intraOpThreads: 1 });
    const worker = WorkerEmbedder.start(model, { intraOpThreads: 1 });
    try {
      expect(worker.info).toEqual(inThread.info);
      const [a, b] = await Promise.all([inThread.embedDocuments(TEXTS), worker.embedDocuments(TEXTS)]);
      expect(b).toHaveLength(TEXTS.length);
      b.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(a[i])));
      expect(Array.from(await worker.embedQuery('retry with exponential backoff'))).toEqual(
        Array.from(await inThread.embedQuery('retry with exponential backoff')),
      );
      await worker.ready;
      expect(worker.device).toBe('cpu');
      // The main-thread token counter is the model's tokenizer.
      expect(worker.tokenCounter.count(TEXTS[0])).toBe(inThread.tokenCounter.count(TEXTS[0]));
    } finally {
      await Promise.all([inThread.close(), worker.close()]);
    }
    await expect(worker.embedDocuments(['after close'])).rejects.toBeInstanceOf(EmbeddingError);
  });

  it('returns the same vectors for a transformer (synthetic MiniLM-tiny), many calls in flight', async () => {
    const dir = ensureSyntheticModel('tiny');
    const model = await loadModelDirectory(dir);
    const inThread = await OnnxEmbedder.create(model, { intraOpThreads: 1, batchSize: 2 });
    const worker = WorkerEmbedder.start(model, { intraOpThreads: 1, batchSize: 2 });
    try {
      const expected = await inThread.embedDocuments(TEXTS);
      const results = await Promise.all(TEXTS.map((t) => worker.embedDocuments([t])));
      results.forEach(([v], i) => expect(Array.from(v)).toEqual(Array.from(expected[i])));
    } finally {
      await Promise.all([inThread.close(), worker.close()]);
    }
  });

  it('rejects ready and every call with the worker’s ModelError when the model cannot load', async () => {
    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    const model = await resolveBuiltinModel();
    // The tokenizer is missing: OnnxEmbedder.create fails in the worker.
    const worker = WorkerEmbedder.start({ info: model.info, modelPath: model.modelPath, dir: broken });
    try {
      await expect(worker.ready).rejects.toBeInstanceOf(ModelError);
      await expect(worker.embedDocuments(['a'])).rejects.toBeInstanceOf(ModelError);
      await expect(worker.embedQuery('a')).rejects.toThrow(/tokenizer/);
    } finally {
      await worker.close();
    }
  });

  it('rejects pending calls with EmbeddingError when the worker dies', async () => {
    const model = await resolveBuiltinModel();
    const worker = WorkerEmbedder.start(model, { intraOpThreads: 1 });
    await worker.ready;
    const pending = worker.embedDocuments(Array.from({ length: 2000 }, (_, i) => `text ${i} `.repeat(50)));
    await (worker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(pending).rejects.toBeInstanceOf(EmbeddingError);
    await expect(worker.embedDocuments(['later'])).rejects.toThrow(/worker stopped/);
    await worker.close();
  });

  it('does not keep the process alive when its owner never closes it (an error path before close())', () => {
    const module = path.resolve(import.meta.dirname, '../../../src/adapters/onnx/worker-embedder.ts');
    const builtin = path.resolve(import.meta.dirname, '../../../src/adapters/static-model/builtin-model.ts');
    const code = `
      const { WorkerEmbedder } = await import(${JSON.stringify(module)});
      const { resolveBuiltinModel } = await import(${JSON.stringify(builtin)});
      const worker = WorkerEmbedder.start(await resolveBuiltinModel(), { intraOpThreads: 1 });
      const [v] = await worker.embedDocuments(['retry with backoff']);
      console.log('embedded', v.length);
      // no close(): the process must still end
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain('embedded 256');
  }, 90_000);

  describe('a worker prestarted before its model is known', () => {
    const logged = () => {
      const lines: string[] = [];
      const push = (m: string) => void lines.push(m);
      return { lines, logger: { debug: push, info: push, warn: push, error: push } };
    };

    it('keeps the built-in model it loaded speculatively when asked for exactly that, with the same vectors', async () => {
      prestartEmbedWorker({ device: 'cpu' });
      const model = await resolveBuiltinModel(undefined, { deferChecksum: true });
      const inThread = await OnnxEmbedder.create(model, { intraOpThreads: 1 });
      const { lines, logger } = logged();
      const worker = WorkerEmbedder.start(model, { device: 'cpu', logger });
      try {
        await worker.ready;
        expect(lines).toContain('embedding worker: kept the built-in model loaded speculatively');
        const [a, b] = await Promise.all([inThread.embedDocuments(TEXTS), worker.embedDocuments(TEXTS)]);
        b.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(a[i])));
      } finally {
        await Promise.all([inThread.close(), worker.close()]);
      }
      expect(takePrestartedWorker()).toBeNull(); // adopted, not left behind
    });

    it('loads the model it is asked for when the speculation does not match (other options, other model)', async () => {
      const builtin = await resolveBuiltinModel(undefined, { deferChecksum: true });
      const tiny = await loadModelDirectory(ensureSyntheticModel('tiny'));
      for (const [model, options] of [
        [builtin, { device: 'cpu' as const, batchSize: 3 }],
        [tiny, { device: 'cpu' as const }],
      ] as const) {
        prestartEmbedWorker({ device: 'cpu' });
        const inThread = await OnnxEmbedder.create(model, { intraOpThreads: 1, ...options });
        const { lines, logger } = logged();
        const worker = WorkerEmbedder.start(model, { ...options, logger });
        try {
          await worker.ready;
          expect(lines.join('\n')).not.toMatch(/speculatively/);
          expect(worker.info).toEqual(model.info);
          const [a, b] = await Promise.all([inThread.embedDocuments(TEXTS), worker.embedDocuments(TEXTS)]);
          b.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(a[i])));
        } finally {
          await Promise.all([inThread.close(), worker.close()]);
        }
      }
    });

    it('is adopted without speculation too; a discarded one is stopped and the next start spawns its own', async () => {
      const model = await resolveBuiltinModel();
      prestartEmbedWorker(null);
      const adopted = WorkerEmbedder.start(model, { intraOpThreads: 1 });
      expect((await adopted.embedDocuments(['a']))[0]).toHaveLength(256);
      await adopted.close();

      // Discarded gracefully: the worker is asked to close (releasing its speculative session) and
      // answers once its modules have loaded, before it is terminated.
      prestartEmbedWorker({ device: 'cpu' });
      expect(await discardPrestartedWorker()).toBe('closed');
      expect(takePrestartedWorker()).toBeNull();
      expect(await discardPrestartedWorker()).toBe('none');
      prestartEmbedWorker(null);
      expect(await discardPrestartedWorker()).toBe('closed');
      const fresh = WorkerEmbedder.start(model, { intraOpThreads: 1 });
      expect((await fresh.embedDocuments(['b']))[0]).toHaveLength(256);
      await fresh.close();
    });
  });
});
