/**
 * @module adapters/onnx/embed-worker — the worker-thread side of `WorkerEmbedder`: one `OnnxEmbedder`
 * (tokenizer + onnxruntime session) built from `workerData` (an `EmbedWorkerData`), answering
 * `EmbedRequest` messages with `EmbedResponse`s. Loaded by `WorkerEmbedder`; not meant to be imported
 * elsewhere except for its types.
 *
 * Everything crosses the thread boundary as plain data: vectors as transferred Float32Array buffers,
 * errors as `WireError` (rebuilt as the same error class on the main thread), log lines as `log`
 * messages replayed on the main thread's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CodeidxError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import { OnnxEmbedder, type EmbedderModel } from './onnx-embedder.js';
import type { DeviceRequest } from './device.js';

/** What the worker is started with: the model's files and the serializable `OnnxEmbedderOptions`. */
export interface EmbedWorkerData {
  readonly model: EmbedderModel;
  readonly batchSize?: number;
  readonly maxBatchTokens?: number;
  readonly intraOpThreads?: number;
  readonly device?: DeviceRequest;
}

/** A request from the main thread. `id` pairs it with its response. */
export type EmbedRequest =
  | { readonly type: 'documents'; readonly id: number; readonly texts: readonly string[] }
  | { readonly type: 'query'; readonly id: number; readonly text: string }
  | { readonly type: 'close' };

/** An error as plain data: the class name of a `CodeidxError` subclass, its message and hint. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly hint?: string;
}

/** A message from the worker. */
export type EmbedResponse =
  | { readonly type: 'ready'; readonly device: string }
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'vectors'; readonly id: number; readonly vectors: Float32Array[] }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string }
  | { readonly type: 'closed' };

/** `error` as plain data (a non-`CodeidxError` keeps only its message, under `EmbeddingError`). */
export function toWireError(error: unknown): WireError {
  if (error instanceof CodeidxError) {
    return {
      name: error.constructor.name,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  return { name: 'EmbeddingError', message: error instanceof Error ? error.message : String(error) };
}

const port = parentPort;
if (port) {
  const post = (message: EmbedResponse, transfer: ArrayBuffer[] = []): void =>
    port.postMessage(message, transfer);
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string): void =>
      post({ type: 'log', level, message });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const data = workerData as EmbedWorkerData;
  const embedder = OnnxEmbedder.create(data.model, {
    logger,
    ...(data.batchSize !== undefined ? { batchSize: data.batchSize } : {}),
    ...(data.maxBatchTokens !== undefined ? { maxBatchTokens: data.maxBatchTokens } : {}),
    ...(data.intraOpThreads !== undefined ? { intraOpThreads: data.intraOpThreads } : {}),
    ...(data.device !== undefined ? { device: data.device } : {}),
  });
  embedder.then(
    (e) => post({ type: 'ready', device: e.device }),
    (error: unknown) => post({ type: 'failed', error: toWireError(error) }),
  );
  // Requests are answered in arrival order (the embedder serialises its batches anyway).
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: EmbedRequest) => {
    queue = queue.then(async () => {
      if (request.type === 'close') {
        await embedder.then((e) => e.close()).catch(() => undefined);
        post({ type: 'closed' });
        return;
      }
      try {
        const e = await embedder;
        const vectors =
          request.type === 'documents'
            ? await e.embedDocuments(request.texts)
            : [await e.embedQuery(request.text)];
        // Each vector owns its buffer (OnnxEmbedder slices or allocates one per text): transfer, not copy.
        post(
          { type: 'vectors', id: request.id, vectors },
          vectors.map((v) => v.buffer as ArrayBuffer),
        );
      } catch (error) {
        post({ type: 'error', id: request.id, error: toWireError(error) });
      }
    });
  });
}
