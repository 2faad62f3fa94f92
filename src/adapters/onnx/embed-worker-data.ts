/**
 * @module adapters/onnx/embed-worker-data — what an embedding worker is asked to load
 * (`EmbedWorkerData`), built one way on both sides of the thread boundary so that a worker that
 * loaded a model speculatively can tell whether it loaded the one it is then asked for. Light on
 * purpose (types and plain functions): the main thread imports it without onnxruntime.
 */
import type { DeviceRequest } from './device.js';
import type { EmbedderModel } from './onnx-embedder.js';

/** The serializable `OnnxEmbedderOptions` of a worker. */
export interface EmbedWorkerOptions {
  readonly batchSize?: number;
  readonly maxBatchTokens?: number;
  readonly intraOpThreads?: number;
  readonly device?: DeviceRequest;
}

/** What a worker loads: the model's files and the serializable `OnnxEmbedderOptions`. */
export interface EmbedWorkerData extends EmbedWorkerOptions {
  readonly model: EmbedderModel;
}

/**
 * What a worker is started with (`workerData`). Its model comes later, in a `load` message; with
 * `speculate`, it starts loading the built-in model (`resolveBuiltinModel`) with `speculate.device`
 * at once and keeps it if the `load` message asks for exactly that (`sameEmbedWorkerData`).
 */
export interface EmbedWorkerInit {
  readonly speculate?: { readonly device: DeviceRequest } | null;
}

/** The `EmbedWorkerData` of `model` with `options`, keys in a fixed order (see `sameEmbedWorkerData`). */
export function embedWorkerData(model: EmbedderModel, options: EmbedWorkerOptions): EmbedWorkerData {
  return {
    model: {
      info: model.info,
      modelPath: model.modelPath,
      dir: model.dir,
      ...(model.sha256 !== undefined ? { sha256: model.sha256 } : {}),
    },
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.maxBatchTokens !== undefined ? { maxBatchTokens: options.maxBatchTokens } : {}),
    ...(options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {}),
    ...(options.device !== undefined ? { device: options.device } : {}),
  };
}

/** Whether two `embedWorkerData` results ask for the same model, files and options. */
export function sameEmbedWorkerData(a: EmbedWorkerData, b: EmbedWorkerData): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
