/**
 * @module adapters/onnx/worker-prestart — starting an embedding worker (`embed-worker`), possibly
 * before its model is known (`prestartEmbedWorker`). Light on purpose (node built-ins only): an entry
 * point imports it first, so that the worker starts before the entry's own modules load.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbedRequest } from './embed-worker.js';
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

/** How long `discardPrestartedWorker` waits for the worker to close before terminating it, in ms. */
export const DISCARD_TIMEOUT_MS = 10_000;

/**
 * Stops a prestarted worker that nothing adopted (e.g. a run that needs no model). Like
 * `WorkerEmbedder.close`, it first asks the worker to close (which releases a speculative session)
 * and terminates it only once the worker answers, exits, or `timeoutMs` passes. The worker answers only
 * after its modules, onnxruntime-node's native addon among them, have loaded: terminating a thread
 * while a native addon initialises or creates a session can abort the whole process from native code
 * ("terminate called after throwing an instance of 'Napi::Error'"; seen once, 2026-12-02, in a full
 * test run whose action tests start and discard such workers, and not reproduced in isolation).
 * Resolves to how the worker ended: `closed` (it answered), `exited`, `timeout`, or `none` (there was
 * no prestarted worker).
 */
export async function discardPrestartedWorker(
  timeoutMs = DISCARD_TIMEOUT_MS,
): Promise<'closed' | 'exited' | 'timeout' | 'none'> {
  const entry = takePrestartedWorker();
  if (!entry) return 'none';
  const ended = entry.exited === null ? await askEmbedWorkerToClose(entry.worker, timeoutMs) : 'exited';
  entry.worker.on('error', () => undefined); // a late error must not become an uncaught exception
  await entry.worker.terminate();
  return ended;
}

/**
 * Asks an embedding worker to close (`{ type: 'close' }`: it finishes the requests before it, releases
 * its sessions and answers `closed`) and resolves when it answers (`closed`), exits or errs (`exited`),
 * or `timeoutMs` passes (`timeout`; default: never). Keeps the worker referenced meanwhile, so that the
 * process waits for the answer; does not terminate it.
 */
export function askEmbedWorkerToClose(
  worker: Worker,
  timeoutMs?: number,
): Promise<'closed' | 'exited' | 'timeout'> {
  worker.ref();
  return new Promise((resolve) => {
    const finish = (how: 'closed' | 'exited' | 'timeout'): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onExit);
      resolve(how);
    };
    const onMessage = (message: { type?: unknown } | null): void => {
      if (message?.type === 'closed') finish('closed');
    };
    const onExit = (): void => finish('exited');
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish('timeout'), timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onExit);
    worker.postMessage({ type: 'close' } satisfies EmbedRequest);
  });
}

/** The prestarted worker, if any, for `WorkerEmbedder` to adopt (`exited`: why it already stopped). */
export function takePrestartedWorker(): { worker: Worker; exited: string | null } | null {
  const entry = prestarted;
  prestarted = null;
  entry?.detach();
  return entry;
}
