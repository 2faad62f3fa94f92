/**
 * @module adapters/hf/model-resolver — turns a model spec into files on disk plus `ModelInfo`:
 * a local directory, or a registry model from the Hugging Face Hub (`id[:variant][@revision]`)
 * downloaded once into a cache directory and verified (see hub-download.ts).
 *
 * Local directory layout: an ONNX graph (`model.onnx`, or `onnx/model*.onnx`), `tokenizer.json`, and
 * either a codeidx model config (`codeidx-model.json`: id, revision, dims, pooling, maxTokens,
 * queryPrefix, documentPrefix, optional model path) or a Hugging Face `config.json` from which the
 * facts are derived (dims = hidden_size, pooling from sentence-transformers' 1_Pooling/config.json,
 * else mean).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import * as z from 'zod';
import { ModelError } from '../../core/errors.js';
import {
  findModel,
  knownModelIds,
  MODEL_REGISTRY,
  modelInfoOf,
  parseModelSpec,
  type ModelEntry,
} from '../../core/model-registry.js';
import type { Logger, ModelInfo } from '../../core/ports.js';
import { downloadHubFile, HubFileNotFoundError, type HubDownloadOptions } from './hub-download.js';

/** Written into a cached model directory once every file is downloaded and verified. */
const COMPLETE_MARKER = '.codeidx-complete.json';

/** Name of the codeidx model config in a model directory. */
export const MODEL_CONFIG_FILE = 'codeidx-model.json';

/** A model ready to load: where its files are and how to embed with it. */
export interface ResolvedModel {
  readonly info: ModelInfo;
  /** Directory holding tokenizer.json (and tokenizer_config.json when present). */
  readonly dir: string;
  /** Absolute path of the ONNX graph. */
  readonly modelPath: string;
  readonly source: 'local' | 'hub';
}

/** Options of `resolveModel`. */
export interface ResolveModelOptions extends HubDownloadOptions {
  /** Hub endpoint: pass HF_ENDPOINT or "https://huggingface.co". Required for hub models. */
  readonly endpoint?: string;
  /** Cache root; default `defaultModelCacheDir()`. */
  readonly cacheDir?: string;
  readonly logger?: Logger;
  /** Registry to look ids up in (tests); default `MODEL_REGISTRY`. */
  readonly registry?: readonly ModelEntry[];
}

/** Default cache root: ~/.cache/codeidx/models (the CLI may pass XDG_CACHE_HOME-based or --cache-dir instead). */
export function defaultModelCacheDir(): string {
  return join(homedir(), '.cache', 'codeidx', 'models');
}

/**
 * `fusion` of codeidx-model.json (core/fusion `HybridFusion`): RRF constant k, an integer as Qdrant takes
 * it, and per-list weights above 0. `codeidx eval --rrf-k/--rrf-weights` validates with the same schema.
 */
export const hybridFusionSchema = z.object({
  k: z.number().int().min(0).max(1000),
  weights: z.object({ semantic: z.number().positive().max(100), lexical: z.number().positive().max(100) }),
});

const modelConfigSchema = z.object({
  id: z.string().min(1),
  revision: z.string().min(1),
  dims: z.number().int().positive(),
  pooling: z.enum(['mean', 'cls']),
  maxTokens: z.number().int().min(2),
  queryPrefix: z.string().default(''),
  documentPrefix: z.string().default(''),
  /** ONNX graph path relative to the directory. */
  model: z.string().min(1).optional(),
  /** How hybrid search fuses this model's kNN list with BM25. Absent: `DEFAULT_FUSION`. */
  fusion: hybridFusionSchema.optional(),
});

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new ModelError(`cannot parse ${path}`, { cause, hint: 'the file must be valid JSON' });
  }
}

/** Finds the ONNX graph of a directory: model.onnx, onnx/model.onnx, onnx/model_quantized.onnx, then any onnx/model*.onnx. */
function findOnnx(dir: string): string | null {
  for (const candidate of ['model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx']) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  const sub = join(dir, 'onnx');
  if (existsSync(sub)) {
    const found = readdirSync(sub)
      .filter((f) => /^model.*\.onnx$/.test(f))
      .sort();
    if (found[0] !== undefined) return join(sub, found[0]);
  }
  return null;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Loads a local model directory.
 * @throws ModelError when the graph, tokenizer.json or the facts (config) are missing or invalid.
 */
export async function loadModelDirectory(dirArg: string): Promise<ResolvedModel> {
  const dir = resolve(dirArg);
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    throw new ModelError(`${dir} has no tokenizer.json`, {
      hint: 'a model directory needs the ONNX graph, tokenizer.json and codeidx-model.json or config.json',
    });
  }
  const configPath = join(dir, MODEL_CONFIG_FILE);
  if (existsSync(configPath)) {
    const parsed = modelConfigSchema.safeParse(readJson(configPath));
    if (!parsed.success) {
      throw new ModelError(`invalid ${configPath}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
        hint: 'codeidx-model.json needs id, revision, dims, pooling (mean|cls), maxTokens, and optional prefixes and fusion ({"k": 60, "weights": {"semantic": 1, "lexical": 1}})',
      });
    }
    const c = parsed.data;
    const modelPath = c.model !== undefined ? join(dir, c.model) : findOnnx(dir);
    if (modelPath === null || !existsSync(modelPath)) {
      throw new ModelError(`${dir} has no ONNX graph${c.model !== undefined ? ` (${c.model})` : ''}`, {
        hint: 'put model.onnx (or onnx/model.onnx) in the directory',
      });
    }
    const info: ModelInfo = {
      id: c.id,
      revision: c.revision,
      dims: c.dims,
      maxTokens: c.maxTokens,
      pooling: c.pooling,
      queryPrefix: c.queryPrefix,
      documentPrefix: c.documentPrefix,
      ...(c.fusion !== undefined ? { fusion: c.fusion } : {}),
    };
    return { info, dir, modelPath, source: 'local' };
  }
  const modelPath = findOnnx(dir);
  if (modelPath === null) {
    throw new ModelError(`${dir} has no ONNX graph`, { hint: 'put model.onnx (or onnx/model.onnx) in the directory' });
  }
  const hfConfigPath = join(dir, 'config.json');
  if (!existsSync(hfConfigPath)) {
    throw new ModelError(`${dir} has neither ${MODEL_CONFIG_FILE} nor config.json`, {
      hint: `write ${MODEL_CONFIG_FILE} with id, revision, dims, pooling, maxTokens`,
    });
  }
  const hf = z
    .object({ hidden_size: z.number().int().positive(), max_position_embeddings: z.number().int().positive().optional() })
    .safeParse(readJson(hfConfigPath));
  if (!hf.success) {
    throw new ModelError(`${hfConfigPath} has no hidden_size`, { hint: `write ${MODEL_CONFIG_FILE} to state dims` });
  }
  let pooling: 'mean' | 'cls' = 'mean';
  const poolingPath = join(dir, '1_Pooling', 'config.json');
  if (existsSync(poolingPath)) {
    const p = readJson(poolingPath) as { pooling_mode_cls_token?: boolean };
    if (p.pooling_mode_cls_token === true) pooling = 'cls';
  }
  const tokenizerConfigPath = join(dir, 'tokenizer_config.json');
  const modelMax = existsSync(tokenizerConfigPath)
    ? (readJson(tokenizerConfigPath) as { model_max_length?: number }).model_max_length
    : undefined;
  const limits = [512, hf.data.max_position_embeddings, modelMax].filter((n): n is number => typeof n === 'number' && n > 1);
  return {
    info: {
      id: `local/${basename(dir)}`,
      // Identify the space by content: a changed graph means a new embedding space.
      revision: (await sha256File(modelPath)).slice(0, 12),
      dims: hf.data.hidden_size,
      maxTokens: Math.min(...limits),
      pooling,
      queryPrefix: '',
      documentPrefix: '',
    },
    dir,
    modelPath,
    source: 'local',
  };
}

function looksLikePath(spec: string): boolean {
  return isAbsolute(spec) || spec.startsWith('.') || spec.startsWith('~') || spec.includes('\\') || spec.endsWith('/');
}

/** Cache directory of one revision of a registry model. */
export function cachedModelDir(cacheDir: string, entry: ModelEntry, revision: string): string {
  const [owner, name] = entry.hubId.split('/') as [string, string];
  return join(cacheDir, owner, name, encodeURIComponent(revision));
}

/**
 * Resolves a model spec: an existing local directory, or a registry id/alias with an optional
 * "@revision", downloaded into the cache on first use.
 * @throws ModelUnavailableError when the model is not cached and the Hub cannot be reached
 *         (the caller may fall back to a lexical-only index);
 *         ModelError for an unknown id (the message lists the known ids), a bad directory,
 *         a file missing on the Hub or a checksum mismatch.
 */
export async function resolveModel(spec: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const registry = options.registry ?? MODEL_REGISTRY;
  const expanded = spec.startsWith('~/') ? join(homedir(), spec.slice(2)) : spec;
  if (existsSync(expanded) && statSync(expanded).isDirectory()) return loadModelDirectory(expanded);
  if (looksLikePath(spec)) {
    throw new ModelError(`model directory ${spec} does not exist`, { hint: 'pass an existing directory or a known model id' });
  }
  const parsed = parseModelSpec(spec);
  const entry = parsed === null ? undefined : findModel(parsed.name, registry);
  if (parsed === null || entry === undefined) {
    throw new ModelError(`unknown model "${spec}": not a directory and not a known model id`, {
      hint: `known models: ${knownModelIds(registry).join(', ')} (append @revision to pin one), or a directory with model.onnx + tokenizer.json`,
    });
  }
  const revision = parsed.revision ?? entry.revision;
  const dir = cachedModelDir(options.cacheDir ?? defaultModelCacheDir(), entry, revision);
  const result: ResolvedModel = { info: modelInfoOf(entry, revision), dir, modelPath: join(dir, ...entry.onnxFile.split('/')), source: 'hub' };
  // A complete download needs no network at all (optional files the Hub lacks are not asked again).
  const marker = join(dir, COMPLETE_MARKER);
  if (existsSync(marker) && entry.files.filter((f) => f.required).every((f) => existsSync(join(dir, ...f.path.split('/'))))) {
    return result;
  }
  const endpoint = options.endpoint ?? 'https://huggingface.co';
  const present: string[] = [];
  for (const file of entry.files) {
    const target = join(dir, ...file.path.split('/'));
    try {
      await downloadHubFile({ endpoint, repo: entry.hubId, revision, path: file.path, sha256: file.sha256, target }, options);
      present.push(file.path);
    } catch (error) {
      // An optional file the Hub does not have is skipped; an unavailable Hub or a bad file is not.
      if (!file.required && error instanceof HubFileNotFoundError) {
        options.logger?.debug(`optional file ${file.path} not on the Hub; skipped`);
        continue;
      }
      throw error;
    }
  }
  writeFileSync(marker, `${JSON.stringify({ id: entry.id, revision, files: present }, null, 2)}\n`);
  return result;
}
