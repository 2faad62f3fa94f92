/**
 * @module adapters/onnx/worker-prestart — starting an embedding worker (`embed-worker`), possibly
 * before its model is known (`prestartEmbedWorker`). Light on purpose (node built-ins only): an entry
 * point imports it first, so that the worker starts before the entry's own modules load.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbedWorkerInit } from './embed-worker-data.js';

/**
 * How to start the worker: the compiled `embed-worker.js` beside this module, or — when this module
 * runs from TypeScript sources (tsx, Vitest) — a bootstrap that registers tsx's loader in the worker
 * and then imports `embed-worker.ts` (a `.ts` worker file cannot be the entry of a `Worker` itself).
 */
function workerEntry(): { filename: string; eval: boolean } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // The ES module build of tsx's API (require.resolve finds the CommonJS one beside it).
    const api = pathToFileURL(
      createRequire(self)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
    const entry = new URL('./embed-worker.ts', self).href;
    const code = `import(${JSON.stringify(api)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}));`;
    return { filename: code, eval: true };
  }
  // Beside this module (tsc's dist/), or one folder up when the action's bundle put this module in
  // a shared chunk (dist/action/chunks/, see scripts/bundle-action.mjs) and the worker entry beside
  // dist/action/index.js.
  const beside = fileURLToPath(new URL('./embed-worker.js', self));
  const above = fileURLToPath(new URL('../embed-worker.js', self));
  return { filename: !existsSync(beside) && existsSync(above) ? above : beside, eval: false };
}

/** Starts an embedding worker (`embed-worker`) with `init` as its `workerData`. */
export function spawnEmbedWorker(init: EmbedWorkerInit): Worker {
  const entry = workerEntry();
  return new Worker(entry.filename, { workerData: init, eval: entry.eval });
}

/** A worker started by `prestartEmbedWorker`, until the next `WorkerEmbedder.start` adopts it. */
let prestarted: { worker: Worker; exited: string | null; detach: () => void } | null = null;

/**
 * Starts an embedding worker before the model is known, for the next `WorkerEmbedder.start` to
 * adopt: the worker loads onnxruntime and its modules meanwhile — and, with `speculate`, the
 * built-in model with that device, which it keeps if asked for exactly that (`EmbedWorkerInit`).
 * An entry point calls it first thing, so that this work runs on the second core while the main
 * thread is still importing its own modules (about 0.25 s for the action). The worker is
 * unreferenced until adopted, so an unused one never keeps the process alive; `discardPrestartedWorker`
 * stops it. A second call while one is waiting does nothing.
 */
export function prestartEmbedWorker(speculate: EmbedWorkerInit['speculate'] = null): void {
  if (prestarted) return;
  const worker = spawnEmbedWorker({ speculate });
  worker.unref();
  const entry = { worker, exited: null as string | null, detach: () => undefined };
  // Until adopted, a crash is recorded (and reported by the adopter) rather than thrown.
  const onError = (error: Error): void => void (entry.exited ??= error.message);
  const onExit = (code: number): void => void (entry.exited ??= `exit code ${code}`);
  worker.on('error', onError);
  worker.on('exit', onExit);
  entry.detach = () => {
    worker.off('error', onError);
    worker.off('exit', onExit);
  };
  prestarted = entry;
}

/** Stops a prestarted worker that nothing adopted (e.g. a run that needs no model). */
export async function discardPrestartedWorker(): Promise<void> {
  const entry = takePrestartedWorker();
  if (entry) await entry.worker.terminate();
}

/** The prestarted worker, if any, for `WorkerEmbedder` to adopt (`exited`: why it already stopped). */
export function takePrestartedWorker(): { worker: Worker; exited: string | null } | null {
  const entry = prestarted;
  prestarted = null;
  entry?.detach();
  return entry;
}
