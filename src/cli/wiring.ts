/**
 * @module cli/wiring — builds adapters from parsed options: the source reader, chunker, embedder,
 * embedded store and embedding cache. Entry points (CLI, action, server) share it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { defaultModelCacheDir, resolveModel } from '../adapters/hf/model-resolver.js';
import { BUILTIN_MODEL_ID, resolveBuiltinModel } from '../adapters/static-model/builtin-model.js';
import { WorkerEmbedder } from '../adapters/onnx/worker-embedder.js';
import type { DeviceRequest } from '../adapters/onnx/device.js';
import { SqliteEmbeddingCache } from '../adapters/sqlite/sqlite-embedding-cache.js';
import { SqliteVectorStore, type SqliteWorkload } from '../adapters/sqlite/sqlite-vector-store.js';
import { CHUNKER_VERSION, TreeSitterChunker } from '../adapters/tree-sitter/tree-sitter-chunker.js';
import type { TokenCounterSpec } from '../adapters/tree-sitter/token-counter-spec.js';
import { WorkerPoolChunker } from '../adapters/tree-sitter/worker-pool-chunker.js';
import { ModelUnavailableError } from '../core/errors.js';
import { estimateTokens } from '../core/token-budget.js';
import type { Chunker, Embedder, Logger, TokenCounter } from '../core/ports.js';
import type { EmbeddingSpace } from '../core/types.js';

/**
 * The model used when none is configured: the built-in static code model, shipped in the package,
 * so a fresh machine with no network gets semantic search (see models/codeidx-static/MODEL_CARD.md).
 * Transformer models are one flag away (`--model Xenova/all-MiniLM-L6-v2`).
 */
export const DEFAULT_MODEL = BUILTIN_MODEL_ID;

/** The value of `--model` that builds a lexical-only index. */
export const NO_MODEL = 'none';

/** Largest chunk budget in tokens, whatever the model accepts: long chunks retrieve worse. */
export const MAX_CHUNK_TOKENS = 512;

/** Options for loading an embedding model. */
export interface EmbedderOptions {
  /** Registry id[@revision], a model directory, or `none`. */
  readonly model: string;
  /** True when the user named the model: then an unavailable model is an error, not a lexical fallback. */
  readonly explicit: boolean;
  readonly device: DeviceRequest;
  readonly threads?: number;
  readonly batchSize?: number;
  readonly modelCacheDir?: string;
  /** Hugging Face endpoint (HF_ENDPOINT), default https://huggingface.co. */
  readonly endpoint?: string;
  /**
   * Run the model in a worker thread (`WorkerEmbedder`): for index runs, which then load the model
   * while planning and embed while chunking and writing. The returned embedder is not loaded yet:
   * await its `ready` to know the device or a load failure. Default false (in this thread: search).
   */
  readonly inWorker?: boolean;
  readonly logger: Logger;
}

/**
 * Loads the embedder, or returns null for a lexical-only index: when `model` is `none`, or when the
 * default model is unavailable (offline, not cached) — then one line says so.
 * @throws ModelError for an unknown id, a bad directory, a checksum mismatch, or an explicitly named
 *   model that is unavailable.
 */
export async function openEmbedder(options: EmbedderOptions): Promise<Embedder | null> {
  if (options.model === NO_MODEL) return null;
  try {
    const resolved =
      options.model === BUILTIN_MODEL_ID
        ? await resolveBuiltinModel(undefined, { deferChecksum: options.inWorker === true })
        : await resolveModel(options.model, {
            endpoint: options.endpoint ?? 'https://huggingface.co',
            cacheDir: options.modelCacheDir ?? defaultModelCacheDir(),
            logger: options.logger,
          });
    const sessionOptions = {
      device: options.device,
      logger: options.logger,
      ...(options.threads !== undefined ? { intraOpThreads: options.threads } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    };
    if (options.inWorker) return WorkerEmbedder.start(resolved, sessionOptions);
    // Imported here: onnxruntime-node takes ~75 ms to load, which a run embedding in a worker skips.
    const { OnnxEmbedder } = await import('../adapters/onnx/onnx-embedder.js');
    return await OnnxEmbedder.create(resolved, sessionOptions);
  } catch (error) {
    if (error instanceof ModelUnavailableError && !options.explicit) {
      options.logger.warn(
        `model ${options.model} is unavailable (${error.message}); building a lexical-only index — pass --model <dir> for semantic search`,
      );
      return null;
    }
    throw error;
  }
}

/** A cheap token estimate for lexical-only indexes, where no model tokenizer exists. */
export const estimatedTokenCounter: TokenCounter = { count: (text) => estimateTokens(text) };

/** The chunker for an embedder: budget = the model's max tokens (capped at MAX_CHUNK_TOKENS). */
export function createChunker(embedder: Embedder | null, logger: Logger): TreeSitterChunker {
  const maxTokens = Math.min(embedder?.info.maxTokens ?? 256, MAX_CHUNK_TOKENS);
  return new TreeSitterChunker({
    tokenCounter: embedder?.tokenCounter ?? estimatedTokenCounter,
    maxTokens,
    logger,
  });
}

/** A chunker that holds resources (worker threads, wasm memory) until `close()`. */
export type ClosableChunker = Chunker & { close(): Promise<void> };

/**
 * The chunker for indexing runs: `TreeSitterChunker` in `threads` worker threads, started lazily on
 * the first file, so a run with nothing to chunk starts no thread. Default 1 (in-thread): on the
 * 2-core reference machine the pool did not speed up a whole indexing run (chunk phase 23.8 s pooled
 * vs 24.4 s in-thread on Go's standard library; the bench measured 0.89×) but added about 260 MB of
 * RSS for the workers' heaps and grammars (BENCHMARKS.md). Workers count
 * tokens with the model's own tokenizer (loaded from its directory) or, lexical-only, the estimate.
 * Falls back to the in-thread chunker for `threads` ≤ 1 or an embedder with no model directory.
 * Same chunks either way (tested in worker-pool-chunker.test.ts).
 */
export function createIndexChunker(embedder: Embedder | null, logger: Logger, threads = 1): ClosableChunker {
  const maxTokens = Math.min(embedder?.info.maxTokens ?? 256, MAX_CHUNK_TOKENS);
  const tokenCounter: TokenCounterSpec | null =
    embedder === null
      ? { kind: 'estimate' }
      : embedder.modelDir !== undefined
        ? { kind: 'tokenizer', dir: embedder.modelDir }
        : null;
  if (threads <= 1 || tokenCounter === null) {
    const inThread = createChunker(embedder, logger);
    return {
      version: inThread.version,
      chunk: (file) => inThread.chunk(file),
      close: () => inThread.dispose(),
    };
  }
  let pool: Promise<WorkerPoolChunker> | null = null;
  return {
    version: CHUNKER_VERSION,
    chunk(file) {
      pool ??= WorkerPoolChunker.create({ tokenCounter, maxTokens, threads, logger });
      return pool.then((p) => p.chunk(file));
    },
    async close() {
      if (pool) await (await pool).close();
    },
  };
}

/** The embedding space of an embedder (null for lexical-only). */
export function spaceOf(embedder: Embedder | null): EmbeddingSpace | null {
  return embedder
    ? { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims }
    : null;
}

/** File name of the store of one embedding space: one store per space, as one Qdrant collection per space. */
export function storeFileName(space: EmbeddingSpace | null): string {
  if (!space) return 'index-lexical.db';
  const slug = `${space.modelId}-${space.revision.slice(0, 12)}-${space.dims}`.replace(
    /[^A-Za-z0-9._-]+/g,
    '_',
  );
  return `index-${slug}.db`;
}

const manifestSchema = z.object({ model: z.string().min(1), store: z.string().min(1) });

/** What `.codeidx/manifest.json` records: the model and store of the last `codeidx index`. */
export type Manifest = z.infer<typeof manifestSchema>;

/** Reads `<dataDir>/manifest.json`, or null when absent or unreadable. */
export function readManifest(dataDir: string): Manifest | null {
  try {
    return manifestSchema.parse(JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')));
  } catch {
    return null;
  }
}

/** Writes `<dataDir>/manifest.json`. */
export function writeManifest(dataDir: string, manifest: Manifest): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Store files present in a data directory. */
export function listStoreFiles(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir)
    .filter((f) => /^index-.*\.db$/.test(f))
    .sort();
}

/**
 * Opens (creating if needed) the SQLite store at `path` for `space`. `memoryIndex: true` (long-lived
 * search processes) keeps kNN in memory (`SqliteVectorStoreOptions.memoryIndex`); `workload: 'index'`
 * (index runs) trades mmap and page cache for a smaller RSS (`SqliteWorkload`).
 */
export async function openStore(
  path: string,
  space: EmbeddingSpace | null,
  logger: Logger,
  options: { readonly memoryIndex?: boolean; readonly workload?: SqliteWorkload } = {},
): Promise<SqliteVectorStore> {
  mkdirSync(dirname(path), { recursive: true });
  return SqliteVectorStore.open({
    path,
    space,
    logger,
    memoryIndex: options.memoryIndex === true,
    workload: options.workload ?? 'search',
  });
}

/** Default embedding-cache file: $XDG_CACHE_HOME/codeidx/embeddings.db (or ~/.cache/codeidx/embeddings.db). */
export function defaultEmbeddingCachePath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'codeidx', 'embeddings.db');
}

/** Opens the embedding cache at `path`. */
export async function openEmbeddingCache(path: string, logger: Logger): Promise<SqliteEmbeddingCache> {
  mkdirSync(dirname(path), { recursive: true });
  return SqliteEmbeddingCache.open({ path, logger });
}
