/**
 * Registry of known embedding models: pure data and lookup, no I/O.
 *
 * A model spec string names a model: `<hub id>[:<variant>][@<revision>]`
 * (e.g. "Xenova/all-MiniLM-L6-v2", "Xenova/all-MiniLM-L6-v2:fp32@main") or a short name
 * ("all-MiniLM-L6-v2", "bge-small-en-v1.5"). A ':' cannot occur in a Hugging Face repo id,
 * so the variant suffix is unambiguous.
 *
 * Checksums: `sha256` is pinned where a trustworthy value is known (the MiniLM files, from
 * ../shared/models/bert-base-uncased-tokenizer/README.md). Where it is `null` no pin was found and
 * none is invented: the downloader then verifies the file against the hash the Hub reports for it
 * (the sha256 of an LFS object in `X-Linked-ETag`, or the git blob sha1 in `ETag` for a small file)
 * and refuses a file for which the Hub reports neither.
 *
 * @module core/model-registry
 */
import type { ModelInfo } from './ports.js';

/** One file of a model repository. */
export interface ModelFile {
  /** Path inside the Hub repository (POSIX), e.g. "onnx/model_quantized.onnx". */
  readonly path: string;
  /** Lower-case hex sha256 of the file, or null when no pin is known (see module doc). */
  readonly sha256: string | null;
  /** Size in bytes when known (informational, shown in progress and errors). */
  readonly bytes?: number;
  /** false for files a model runs without (e.g. tokenizer_config.json). */
  readonly required: boolean;
}

/** A known model: what to download and how to embed with it. */
export interface ModelEntry {
  /** Unique id: the Hub id, plus ":<variant>" for a non-default variant of the same repo. Used as `ModelInfo.id`. */
  readonly id: string;
  /** Short names accepted in place of `id`. */
  readonly aliases: readonly string[];
  /** Hugging Face Hub repository, "owner/name". */
  readonly hubId: string;
  /** Git revision downloaded when the spec names none. */
  readonly revision: string;
  readonly dims: number;
  /** Longest input we feed, in tokens (may be below what the model accepts, to bound cost). */
  readonly maxTokens: number;
  readonly pooling: 'mean' | 'cls';
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  /** Path (in `files`) of the ONNX graph. */
  readonly onnxFile: string;
  /** Every file to download, the ONNX graph and tokenizer.json included. */
  readonly files: readonly ModelFile[];
  readonly description: string;
}

const MINILM_TOKENIZER: ModelFile = {
  path: 'tokenizer.json',
  sha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
  bytes: 711_661,
  required: true,
};

/** Small non-LFS files with no known pin: verified against the Hub's git blob hash. */
const TOKENIZER_CONFIG: ModelFile = { path: 'tokenizer_config.json', sha256: null, required: false };
const CONFIG: ModelFile = { path: 'config.json', sha256: null, required: false };

/**
 * The known models. Sources: model cards on the Hugging Face Hub (dims, pooling, prefixes, max length);
 * MiniLM checksums from ../shared/models/bert-base-uncased-tokenizer/README.md.
 */
export const MODEL_REGISTRY: readonly ModelEntry[] = [
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    aliases: ['all-MiniLM-L6-v2', 'sentence-transformers/all-MiniLM-L6-v2'],
    hubId: 'Xenova/all-MiniLM-L6-v2',
    revision: 'main',
    dims: 384,
    maxTokens: 256,
    pooling: 'mean',
    queryPrefix: '',
    documentPrefix: '',
    onnxFile: 'onnx/model_quantized.onnx',
    files: [
      {
        path: 'onnx/model_quantized.onnx',
        sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
        bytes: 22_972_370,
        required: true,
      },
      MINILM_TOKENIZER,
      TOKENIZER_CONFIG,
      CONFIG,
    ],
    description: 'all-MiniLM-L6-v2, int8 quantized (23 MB): fast general-purpose English embeddings (default)',
  },
  {
    id: 'Xenova/all-MiniLM-L6-v2:fp32',
    aliases: ['all-MiniLM-L6-v2-fp32'],
    hubId: 'Xenova/all-MiniLM-L6-v2',
    revision: 'main',
    dims: 384,
    maxTokens: 256,
    pooling: 'mean',
    queryPrefix: '',
    documentPrefix: '',
    onnxFile: 'onnx/model.onnx',
    files: [
      {
        path: 'onnx/model.onnx',
        sha256: '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e',
        bytes: 90_387_606,
        required: true,
      },
      MINILM_TOKENIZER,
      TOKENIZER_CONFIG,
      CONFIG,
    ],
    description: 'all-MiniLM-L6-v2, float32 (90 MB)',
  },
  {
    id: 'Xenova/bge-small-en-v1.5',
    aliases: ['bge-small-en-v1.5', 'BAAI/bge-small-en-v1.5'],
    hubId: 'Xenova/bge-small-en-v1.5',
    revision: 'main',
    dims: 384,
    maxTokens: 512,
    pooling: 'cls',
    // From the BAAI/bge-small-en-v1.5 model card: the instruction is for short queries only.
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    documentPrefix: '',
    onnxFile: 'onnx/model.onnx',
    files: [
      { path: 'onnx/model.onnx', sha256: null, required: true },
      { path: 'tokenizer.json', sha256: null, required: true },
      TOKENIZER_CONFIG,
      CONFIG,
    ],
    description: 'bge-small-en-v1.5, float32: stronger retrieval than MiniLM at the same size (CLS pooling)',
  },
  {
    id: 'jinaai/jina-embeddings-v2-base-code',
    aliases: ['jina-embeddings-v2-base-code'],
    hubId: 'jinaai/jina-embeddings-v2-base-code',
    revision: 'main',
    dims: 768,
    // The model accepts 8192 tokens (ALiBi); attention cost is quadratic, and code chunks are far
    // shorter, so we cap inputs at 1024 tokens.
    maxTokens: 1024,
    pooling: 'mean',
    queryPrefix: '',
    documentPrefix: '',
    onnxFile: 'onnx/model.onnx',
    files: [
      { path: 'onnx/model.onnx', sha256: null, required: true },
      { path: 'tokenizer.json', sha256: null, required: true },
      TOKENIZER_CONFIG,
      CONFIG,
    ],
    description: 'jina-embeddings-v2-base-code (161M params, 768 dims): trained on code, slower',
  },
];

/** Id of the default model: all-MiniLM-L6-v2, int8 quantized. */
export const DEFAULT_MODEL_ID = 'Xenova/all-MiniLM-L6-v2';

/** A parsed model spec: the name before '@' and the revision after it (null when absent). */
export interface ModelSpec {
  readonly name: string;
  readonly revision: string | null;
}

/**
 * Splits "name@revision" at the last '@'. A spec with no '@' has `revision: null`.
 * Returns null for an empty name or revision ("@main", "id@").
 */
export function parseModelSpec(spec: string): ModelSpec | null {
  const trimmed = spec.trim();
  const at = trimmed.lastIndexOf('@');
  const name = at >= 0 ? trimmed.slice(0, at) : trimmed;
  const revision = at >= 0 ? trimmed.slice(at + 1) : null;
  if (name === '' || revision === '') return null;
  return { name, revision };
}

/** The registry entry whose id or alias equals `name` (case-insensitive), or undefined. */
export function findModel(name: string, registry: readonly ModelEntry[] = MODEL_REGISTRY): ModelEntry | undefined {
  const wanted = name.toLowerCase();
  return registry.find((m) => m.id.toLowerCase() === wanted || m.aliases.some((a) => a.toLowerCase() === wanted));
}

/** Every id of the registry, for error messages ("known models: …"). */
export function knownModelIds(registry: readonly ModelEntry[] = MODEL_REGISTRY): string[] {
  return registry.map((m) => m.id);
}

/** The `ModelInfo` of an entry at a revision (the entry's default revision when omitted). */
export function modelInfoOf(entry: ModelEntry, revision: string = entry.revision): ModelInfo {
  return {
    id: entry.id,
    revision,
    dims: entry.dims,
    maxTokens: entry.maxTokens,
    pooling: entry.pooling,
    queryPrefix: entry.queryPrefix,
    documentPrefix: entry.documentPrefix,
  };
}
