/**
 * @module adapters/onnx/embed-worker — the worker-thread side of `WorkerEmbedder`: one `OnnxEmbedder`
 * (tokenizer + onnxruntime session) built from the first message (`load`, an `EmbedWorkerData`),
 * answering `EmbedRequest` messages with `EmbedResponse`s. Started with `workerData.speculate`
 * (`EmbedWorkerInit`, see `prestartEmbedWorker`), it loads the built-in model before that message
 * comes and keeps it when the message asks for exactly that model and those options. Loaded by `WorkerEmbedder`; not meant to be imported
 * elsewhere except for its types.
 *
 * Everything crosses the thread boundary as plain data: vectors as transferred Float32Array buffers,
 * errors as `WireError` (rebuilt as the same error class on the main thread), log lines as `log`
 * messages replayed on the main thread's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CodeidxError, EmbeddingError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import { resolveBuiltinModel } from '../static-model/builtin-model.js';
import {
  embedWorkerData,
  sameEmbedWorkerData,
  type EmbedWorkerData,
  type EmbedWorkerInit,
} from './embed-worker-data.js';
import { OnnxEmbedder } from './onnx-embedder.js';

export type { EmbedWorkerData, EmbedWorkerInit } from './embed-worker-data.js';

/** A request from the main thread. `id` pairs it with its response. */
export type EmbedRequest =
  /** First message: the model to load (`embedWorkerData`). */
  | { readonly type: 'load'; readonly data: EmbedWorkerData }
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
  const create = (data: EmbedWorkerData, to: Logger): Promise<OnnxEmbedder> =>
    OnnxEmbedder.create(data.model, {
      logger: to,
      ...(data.batchSize !== undefined ? { batchSize: data.batchSize } : {}),
      ...(data.maxBatchTokens !== undefined ? { maxBatchTokens: data.maxBatchTokens } : {}),
      ...(data.intraOpThreads !== undefined ? { intraOpThreads: data.intraOpThreads } : {}),
      ...(data.device !== undefined ? { device: data.device } : {}),
    });

  // A speculative load of the built-in model, started before the main thread knows its model (see
  // `prestartEmbedWorker`). Its log lines are held back until it is kept.
  const init = (workerData ?? {}) as EmbedWorkerInit;
  let speculation: {
    readonly data: Promise<EmbedWorkerData>;
    readonly embedder: Promise<OnnxEmbedder>;
    readonly logs: Array<[keyof Logger, string]>;
  } | null = null;
  if (init.speculate) {
    const logs: Array<[keyof Logger, string]> = [];
    const held = (level: keyof Logger) => (message: string) => void logs.push([level, message]);
    const data = resolveBuiltinModel(undefined, { deferChecksum: true }).then((model) =>
      embedWorkerData(model, { device: init.speculate!.device }),
    );
    const embedder = data.then((d) =>
      create(d, { debug: held('debug'), info: held('info'), warn: held('warn'), error: held('error') }),
    );
    data.catch(() => undefined);
    embedder.catch(() => undefined);
    speculation = { data, embedder, logs };
  }

  /** The embedder of the `load` message: the speculative one if it is exactly that, else a new one. */
  const load = async (data: EmbedWorkerData): Promise<OnnxEmbedder> => {
    const guess = speculation;
    speculation = null;
    if (guess) {
      const guessed = await guess.data.catch(() => null);
      if (guessed && sameEmbedWorkerData(guessed, data)) {
        const kept = await guess.embedder.catch(() => null);
        if (kept) {
          for (const [level, message] of guess.logs) logger[level](message);
          logger.debug('embedding worker: kept the built-in model loaded speculatively');
          return kept;
        }
      } else {
        void guess.embedder.then((e) => e.close()).catch(() => undefined);
      }
    }
    return create(data, logger);
  };

  let embedder: Promise<OnnxEmbedder> | null = null;
  // Requests are answered in arrival order (the embedder serialises its batches anyway).
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: EmbedRequest) => {
    if (request.type === 'load') {
      const loading = load(request.data);
      embedder = loading;
      loading.then(
        (e) => post({ type: 'ready', device: e.device }),
        (error: unknown) => post({ type: 'failed', error: toWireError(error) }),
      );
      return;
    }
    queue = queue.then(async () => {
      if (request.type === 'close') {
        await embedder?.then((e) => e.close()).catch(() => undefined);
        await speculation?.embedder.then((e) => e.close()).catch(() => undefined);
        post({ type: 'closed' });
        return;
      }
      try {
        if (!embedder)
          throw new EmbeddingError('the embedding worker was asked to embed before any model was loaded');
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
