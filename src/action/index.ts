/**
 * @module action/index — entry point of the GitHub Action (action.yml runs the built
 * `dist/action/index.js`). All logic is in `main.ts`, so tests can call `run()` directly.
 *
 * Before it imports `main.ts` (about 0.25 s of module loading on one core), it starts the embedding
 * worker (`prestartEmbedWorker`), which loads onnxruntime — and, for the default model inputs, the
 * built-in model — on the other core meanwhile; `WorkerEmbedder.start` adopts it, or it is dropped.
 */
import { systemDeviceProbe } from '../adapters/onnx/device.js';
import { prestartEmbedWorker } from '../adapters/onnx/worker-prestart.js';

/**
 * The device the action will ask the built-in model for, when its inputs are the defaults
 * (`model: codeidx-static`, `batch-size: auto`, `device: auto` or `cpu`) and this is not a GPU runner;
 * else null (nothing is loaded ahead: a wrong guess is only wasted work, never a wrong model).
 */
function speculatedDevice(env: NodeJS.ProcessEnv): 'cpu' | null {
  const input = (name: string) => (env[`INPUT_${name.toUpperCase()}`] ?? '').trim();
  const model = input('model');
  const batch = input('batch-size');
  const device = input('device');
  if (model !== '' && model !== 'codeidx-static') return null;
  if (batch !== '' && batch !== 'auto') return null;
  if (device === 'cpu') return 'cpu';
  if (device !== '' && device !== 'auto') return null;
  return systemDeviceProbe.hasNvidiaGpu() ? null : 'cpu';
}

const device = speculatedDevice(process.env);
prestartEmbedWorker(device ? { device } : null);
const { run } = await import('./main.js');
await run();
