/**
 * @module adapters/onnx/worker-embedder — an `OnnxEmbedder` in a worker thread, for indexing runs.
 *
 * Why: an index run is a chain of main-thread work (listing, tree-sitter, SQLite writes) and
 * embedding (WordPiece tokenisation in JavaScript, then onnxruntime). In a worker thread the model
 * loads while the main thread plans, and a batch is embedded while the main thread chunks the next
 * one and writes the previous one (`indexTree` keeps batches in flight), so the two use both cores
 * of a standard runner instead of one. Vectors are the same as in-thread: the worker runs the same
 * `OnnxEmbedder` (tested).
 *
 * `start` returns at once; `ready` settles when the worker has loaded the model. `info` comes from the
 * resolved model (known before the session exists), `device` is the requested device until the worker
 * reports the one it got. The main thread keeps a tokenizer of its own for `tokenCounter` (the chunker
 * counts tokens synchronously), loaded on first use.
 *
 * Worker file: see `worker-prestart.ts` (`embed-worker.js` of the compiled `dist/` or of the action's
 * bundle, or `embed-worker.ts` under tsx). A worker an entry point started early
 * (`prestartEmbedWorker`) is adopted by the next `start`: the model to load is always sent as the
 * worker's first message, so an adopted worker and a new one behave alike.
 *
 * Failure policy: a model the worker cannot load rejects `ready` and every embedding call with the
 * worker's error (same class: `ModelError`, `EmbeddingError`, `ConfigError`); a worker that dies
 * rejects every pending and later call with `EmbeddingError`. Nothing hangs: the worker keeps the
 * process alive only while it loads or has calls pending, so a caller that fails before `close()`
 * still exits.
 */
import type { Worker } from 'node:worker_threads';
import { CodeidxError, ConfigError, EmbeddingError, ModelError } from '../../core/errors.js';
import type { Embedder, Logger, ModelInfo, TokenCounter } from '../../core/ports.js';
import { HfTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { DeviceRequest } from './device.js';
import type { EmbedRequest, EmbedResponse, WireError } from './embed-worker.js';
import { embedWorkerData } from './embed-worker-data.js';
import { askEmbedWorkerToClose, spawnEmbedWorker, takePrestartedWorker } from './worker-prestart.js';
import type { EmbedderModel } from './onnx-embedder.js';

/** Options of `WorkerEmbedder.start`: the serializable `OnnxEmbedderOptions`, and where logs go. */
export interface WorkerEmbedderOptions {
  readonly batchSize?: number;
  readonly maxBatchTokens?: number;
  readonly intraOpThreads?: number;
  readonly device?: DeviceRequest;
  readonly logger?: Logger;
}

const ERROR_CLASSES: Record<string, new (message: string, options?: { hint?: string }) => CodeidxError> = {
  ModelError,
  ModelUnavailableError: ModelError,
  ConfigError,
  EmbeddingError,
};

/** Rebuilds a worker's error as its class on this thread (`EmbeddingError` for any other). */
function fromWire(error: WireError): CodeidxError {
  const Class = ERROR_CLASSES[error.name] ?? EmbeddingError;
  return new Class(error.message, error.hint ? { hint: error.hint } : {});
}

/** `Embedder` whose model runs in a worker thread. Build with `WorkerEmbedder.start`. */
export class WorkerEmbedder implements Embedder {
  readonly info: ModelInfo;
  /** Directory of the model's tokenizer.json (as `OnnxEmbedder.modelDir`, for chunker worker threads). */
  readonly modelDir: string;
  /** Settles when the worker has loaded the model; rejects with the reason it could not. */
  readonly ready: Promise<void>;
  readonly tokenCounter: TokenCounter;
  /** Embedding runs in the worker: `indexTree` overlaps it with chunking and writing. */
  readonly offThread = true;
  private deviceInUse: string;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  /** Set once the worker is gone (crashed, or closed): later calls reject with it. */
  private stopped: Error | null = null;
  private closing: Promise<void> | null = null;
  private mainTokenizer: HfTokenizer | null = null;
  /** Set when the worker has loaded the model or failed to (until then it stays referenced: see `refWhileBusy`). */
  private loaded = false;

  private constructor(model: EmbedderModel, options: WorkerEmbedderOptions) {
    this.info = model.info;
    this.modelDir = model.dir;
    this.deviceInUse = options.device === 'cuda' ? 'cuda' : 'cpu';
    this.tokenCounter = {
      count: (text) => (this.mainTokenizer ??= HfTokenizer.fromDirectory(model.dir)).count(text),
    };
    const { logger } = options;
    const adopted = takePrestartedWorker();
    this.worker = adopted?.worker ?? spawnEmbedWorker({});
    this.worker.ref(); // a prestarted worker is unreferenced until adopted
    let settleReady!: { resolve: () => void; reject: (e: Error) => void };
    this.ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // surfaced through the embedding calls and to whoever awaits it
    this.worker.on('message', (message: EmbedResponse) => {
      switch (message.type) {
        case 'ready':
          this.loaded = true;
          this.deviceInUse = message.device;
          settleReady.resolve();
          this.refWhileBusy();
          break;
        case 'failed': {
          const error = fromWire(message.error);
          this.stopped = error;
          this.loaded = true;
          settleReady.reject(error);
          this.rejectAll(error);
          this.refWhileBusy();
          break;
        }
        case 'vectors':
          this.settle(message.id, (p) => p.resolve(message.vectors));
          break;
        case 'error':
          this.settle(message.id, (p) => p.reject(fromWire(message.error)));
          break;
        case 'log':
          logger?.[message.level](message.message);
          break;
        case 'closed':
          break;
      }
    });
    const died = (why: string): void => {
      const error = new EmbeddingError(`the embedding worker stopped: ${why}`, {
        hint: 'out of memory or killed; lower `batch-size`, or run with more memory',
      });
      this.stopped ??= error;
      settleReady.reject(error);
      this.rejectAll(this.stopped);
    };
    this.worker.on('error', (error) => died(error.message));
    this.worker.on('exit', (code) => died(`exit code ${code}`));
    if (adopted?.exited) died(adopted.exited);
    this.worker.postMessage({ type: 'load', data: embedWorkerData(model, options) } satisfies EmbedRequest);
  }

  /**
   * Starts the worker and returns at once (the model loads in the background: see `ready`).
   * `model` must be resolved (files on disk, checksum verified) — see `openEmbedder`.
   */
  static start(model: EmbedderModel, options: WorkerEmbedderOptions = {}): WorkerEmbedder {
    return new WorkerEmbedder(model, options);
  }

  /** The execution provider in use: the requested one until the worker has loaded the model. */
  get device(): string {
    return this.deviceInUse;
  }

  embedDocuments(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return this.request({ type: 'documents', id: this.nextId++, texts }).then((vectors) => {
      onBatch?.(vectors.length);
      return vectors;
    });
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.request({ type: 'query', id: this.nextId++, text });
    return vector;
  }

  /** Releases the session and stops the worker. Pending calls finish first. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.stopped) await askEmbedWorkerToClose(this.worker);
      this.stopped ??= new EmbeddingError('the embedder is closed');
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private request(request: Extract<EmbedRequest, { id: number }>): Promise<Float32Array[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.closing) return Promise.reject(new EmbeddingError('the embedder is closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  /** Keeps the process alive only while the worker has work this thread waits for. */
  private refWhileBusy(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private settle(
    id: number,
    fn: (p: { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }) => void,
  ): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    fn(p);
    if (this.loaded) this.refWhileBusy();
  }

  private rejectAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
