/**
 * @module adapters/onnx/onnx-embedder — the `Embedder` port on onnxruntime-node with a Hugging Face
 * `tokenizer.json`.
 *
 * Throughput choices: each text is tokenized once; texts are sorted by token length (longest first) and
 * batched, each batch padded only to its own longest text (dynamic padding) and holding at most
 * `maxBatchTokens` padded tokens; int64 inputs are written
 * straight into reused BigInt64Array buffers; pooling and L2 normalisation run in one tight loop over the
 * output Float32Array. Batch order is restored before returning.
 *
 * Pooling (sentence-transformers semantics): `mean` = average of the token vectors where
 * attention_mask = 1 (special tokens included); `cls` = the first token's vector. A model whose graph
 * already outputs a pooled `sentence_embedding` [batch, dims] is used as is (then only normalised).
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { CodeidxError, EmbeddingError, ModelError } from '../../core/errors.js';
import type { Embedder, Logger, ModelInfo, TokenCounter } from '../../core/ports.js';
import { HfTokenizer } from '../tokenizer/hf-tokenizer.js';
import { checkModelChecksum } from './model-checksum.js';
import {
  createSession,
  type DeviceProbe,
  type DeviceRequest,
  type ExecutionDevice,
  type SessionFactory,
} from './device.js';

/** The part of an onnxruntime session the embedder uses (a real `InferenceSession` fits). */
export interface EncoderSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** Where a model's files are: the shape of `ResolvedModel` (adapters/hf/model-resolver). */
export interface EmbedderModel {
  readonly info: ModelInfo;
  /** Absolute path of the ONNX graph. */
  readonly modelPath: string;
  /** Directory holding tokenizer.json. */
  readonly dir: string;
  /**
   * Expected sha256 (hex) of `modelPath`. When set, `OnnxEmbedder.create` checks it before loading
   * the session (`ModelError` on a mismatch), in whichever thread creates it.
   */
  readonly sha256?: string;
}

/** Options of `OnnxEmbedder.create`. */
/**
 * Default cap on padded tokens per inference call on CPU. Lower caps bound the activation memory
 * (attention is batch × heads × seq² floats) without costing throughput on a small CPU: synthetic
 * MiniLM, same tokens, memory patterns off (`npx tsx bench/ort-memory.ts`): cap 1,024 vs 2,048 with
 * patterns on — peak RSS 0.77×, tokens/s 1.06×; the batch-size rows of BENCHMARKS.md §2 agree (batch
 * 1 and 8 gave more tokens/s than 32).
 */
export const DEFAULT_MAX_BATCH_TOKENS = 1024;

export interface OnnxEmbedderOptions {
  /** Texts per inference call. Default 32. */
  readonly batchSize?: number;
  /**
   * Cap on padded tokens per inference call (batch × longest text): long texts go in smaller batches,
   * which keeps the attention tensors (batch × heads × seq²) in cache and bounds the activation
   * memory. Default 1,024 (`DEFAULT_MAX_BATCH_TOKENS`) on CPU, no cap on CUDA; at least one text per batch.
   */
  readonly maxBatchTokens?: number;
  /** onnxruntime intra-op threads. Default: all cores (`os.availableParallelism()`). */
  readonly intraOpThreads?: number;
  /** Default "auto" (see device.ts). */
  readonly device?: DeviceRequest;
  readonly logger?: Logger;
  /** Injected device detection (tests). */
  readonly probe?: DeviceProbe;
  /** Injected session factory (tests). */
  readonly sessionFactory?: SessionFactory<EncoderSession>;
}

/** Output name of an already pooled [batch, dims] embedding (sentence-transformers / static models). */
const POOLED_OUTPUT = 'sentence_embedding';
const HIDDEN_OUTPUT = 'last_hidden_state';

/** L2-normalises `v` in place; a zero vector stays zero (it cannot be normalised; callers never get NaN). */
function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i] = v[i] * inv;
  }
  return v;
}

/** Embedder on onnxruntime-node. Build with `OnnxEmbedder.create`. */
export class OnnxEmbedder implements Embedder {
  readonly info: ModelInfo;
  readonly device: ExecutionDevice;
  readonly tokenCounter: TokenCounter;
  /** Directory holding the model's tokenizer.json (worker threads load their own tokenizer from it). */
  readonly modelDir: string;
  private readonly tokenizer: HfTokenizer;
  private readonly session: EncoderSession;
  private readonly batchSize: number;
  private readonly maxBatchTokens: number;
  private readonly hasMask: boolean;
  private readonly hasTypeIds: boolean;
  private readonly outputName: string;
  private idsBuffer = new BigInt64Array(0);
  private maskBuffer = new BigInt64Array(0);
  private typeBuffer = new BigInt64Array(0);
  /** Serialises batches: the input buffers are shared. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    modelDir: string,
    info: ModelInfo,
    tokenizer: HfTokenizer,
    session: EncoderSession,
    device: ExecutionDevice,
    batchSize: number,
    maxBatchTokens: number,
  ) {
    this.modelDir = modelDir;
    this.info = info;
    this.tokenizer = tokenizer;
    this.tokenCounter = tokenizer;
    this.session = session;
    this.device = device;
    this.batchSize = batchSize;
    this.maxBatchTokens = maxBatchTokens;
    const inputs = new Set(session.inputNames);
    if (!inputs.has('input_ids')) {
      throw new ModelError(
        `the ONNX graph has no input_ids input (inputs: ${session.inputNames.join(', ')})`,
        {
          hint: 'codeidx runs transformer encoders exported with input_ids / attention_mask (/ token_type_ids)',
        },
      );
    }
    const unknown = session.inputNames.filter(
      (n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n),
    );
    if (unknown.length > 0) {
      throw new ModelError(`the ONNX graph has unsupported inputs: ${unknown.join(', ')}`, {
        hint: 'export the encoder with only input_ids, attention_mask and token_type_ids',
      });
    }
    this.hasMask = inputs.has('attention_mask');
    this.hasTypeIds = inputs.has('token_type_ids');
    const outputs = session.outputNames;
    const chosen = outputs.includes(POOLED_OUTPUT)
      ? POOLED_OUTPUT
      : outputs.includes(HIDDEN_OUTPUT)
        ? HIDDEN_OUTPUT
        : outputs.length === 1
          ? outputs[0]
          : undefined;
    if (chosen === undefined) {
      throw new ModelError(
        `cannot tell which ONNX output is the embedding (outputs: ${outputs.join(', ')})`,
        {
          hint: `name it ${HIDDEN_OUTPUT} [batch, seq, dims] or ${POOLED_OUTPUT} [batch, dims]`,
        },
      );
    }
    this.outputName = chosen;
  }

  /**
   * Loads the tokenizer and creates the session.
   * @throws ModelError (missing/invalid tokenizer, unsupported graph), ConfigError (cuda forced without GPU),
   *         EmbeddingError when onnxruntime cannot load the graph.
   */
  static async create(model: EmbedderModel, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ModelError(`batch size must be a positive integer, got ${batchSize}`);
    if (model.sha256 !== undefined) checkModelChecksum(model.modelPath, model.sha256);
    const tokenizer = HfTokenizer.fromDirectory(model.dir);
    let created: { session: EncoderSession; device: ExecutionDevice };
    try {
      created = await createSession<EncoderSession>(model.modelPath, {
        device: options.device ?? 'auto',
        intraOpThreads: options.intraOpThreads ?? availableParallelism(),
        logger: options.logger,
        probe: options.probe,
        factory: options.sessionFactory,
      });
    } catch (error) {
      if (error instanceof CodeidxError) throw error;
      throw new EmbeddingError(`onnxruntime cannot load ${model.modelPath}`, {
        cause: error,
        hint: 'the file may be truncated or not an ONNX model; delete it from the model cache to download it again',
      });
    }
    // On CUDA the cap would defeat the larger GPU batches (device memory, not CPU cache, is the limit).
    const maxBatchTokens =
      options.maxBatchTokens ??
      (created.device === 'cuda' ? Number.POSITIVE_INFINITY : DEFAULT_MAX_BATCH_TOKENS);
    return new OnnxEmbedder(
      model.dir,
      model.info,
      tokenizer,
      created.session,
      created.device,
      batchSize,
      maxBatchTokens,
    );
  }

  async embedDocuments(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    const prefix = this.info.documentPrefix;
    const encoded = texts.map((t) => this.tokenizer.encode(prefix + t, this.info.maxTokens).ids);
    // Longest first: the first batch sizes the reused buffers, later batches pad less.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[b].length - encoded[a].length);
    const out = new Array<Float32Array>(texts.length);
    let done = 0;
    let start = 0;
    while (start < order.length) {
      // Sorted longest first: the first text of a batch is its longest and sets the padded length.
      const longest = Math.max(1, encoded[order[start]].length);
      const size = Math.max(1, Math.min(this.batchSize, Math.floor(this.maxBatchTokens / longest)));
      const indices = order.slice(start, start + size);
      const vectors = await this.exclusive(() => this.runBatch(indices.map((i) => encoded[i])));
      for (let j = 0; j < indices.length; j++) out[indices[j]] = vectors[j];
      done += indices.length;
      start += indices.length;
      onBatch?.(done);
    }
    return out;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const ids = this.tokenizer.encode(this.info.queryPrefix + text, this.info.maxTokens).ids;
    const [vector] = await this.exclusive(() => this.runBatch([ids]));
    return vector;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.session.release();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private ensureCapacity(n: number): void {
    if (this.idsBuffer.length >= n) return;
    this.idsBuffer = new BigInt64Array(n);
    this.maskBuffer = new BigInt64Array(n);
    this.typeBuffer = new BigInt64Array(n); // stays all zeros: one segment
  }

  /** Runs one padded batch and returns its pooled, normalised vectors in the batch's order. */
  private async runBatch(batch: readonly number[][]): Promise<Float32Array[]> {
    if (this.closed) throw new EmbeddingError('the embedder is closed');
    const B = batch.length;
    let S = 0;
    for (const ids of batch) if (ids.length > S) S = ids.length;
    const n = B * S;
    this.ensureCapacity(n);
    const idsData = this.idsBuffer.subarray(0, n);
    const maskData = this.maskBuffer.subarray(0, n);
    idsData.fill(0n); // pad id 0 ([PAD] in BERT vocabularies; masked out anyway)
    maskData.fill(0n);
    for (let b = 0; b < B; b++) {
      const ids = batch[b];
      const row = b * S;
      for (let s = 0; s < ids.length; s++) {
        idsData[row + s] = BigInt(ids[s]);
        maskData[row + s] = 1n;
      }
    }
    const dims = [B, S];
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', idsData, dims) };
    if (this.hasMask) feeds.attention_mask = new ort.Tensor('int64', maskData, dims);
    if (this.hasTypeIds) feeds.token_type_ids = new ort.Tensor('int64', this.typeBuffer.subarray(0, n), dims);
    let result: Record<string, ort.Tensor>;
    try {
      result = await this.session.run(feeds);
    } catch (cause) {
      throw new EmbeddingError(`inference failed on a batch of ${B} texts × ${S} tokens`, {
        cause,
        hint: 'lower the batch size if memory ran out; check that the model and tokenizer belong together',
      });
    }
    const output = result[this.outputName];
    if (output === undefined || !(output.data instanceof Float32Array)) {
      throw new EmbeddingError(`the model returned no float32 ${this.outputName} output`);
    }
    return this.pool(output.data, output.dims, batch);
  }

  /** Pools [B, S, D] (or takes [B, D]) into B unit vectors. */
  private pool(data: Float32Array, shape: readonly number[], batch: readonly number[][]): Float32Array[] {
    const B = batch.length;
    const D = shape[shape.length - 1];
    if (D !== this.info.dims) {
      throw new EmbeddingError(`the model outputs ${D} dims but its config says ${this.info.dims}`, {
        hint: 'fix dims in codeidx-model.json (or the registry entry) to match the model',
      });
    }
    const vectors: Float32Array[] = [];
    if (shape.length === 2) {
      for (let b = 0; b < B; b++) vectors.push(normalize(data.slice(b * D, (b + 1) * D)));
      return vectors;
    }
    const S = shape[1];
    for (let b = 0; b < B; b++) {
      const v = new Float32Array(D);
      const base = b * S * D;
      if (this.info.pooling === 'cls') {
        v.set(data.subarray(base, base + D));
      } else {
        const len = batch[b].length;
        for (let s = 0; s < len; s++) {
          const off = base + s * D;
          for (let d = 0; d < D; d++) v[d] = v[d] + data[off + d];
        }
        const inv = 1 / len;
        for (let d = 0; d < D; d++) v[d] = v[d] * inv;
      }
      vectors.push(normalize(v));
    }
    return vectors;
  }
}
