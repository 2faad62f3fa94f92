/**
 * Generates synthetic BERT encoders in ONNX: the exact architecture of all-MiniLM-L6-v2 (or a tiny
 * variant for unit tests) with seeded random weights. The compute cost is real, the vectors mean
 * nothing. Tests and benchmarks call `ensureSyntheticModel`; run by hand with
 *
 *     npx tsx scripts/make-synthetic-model.ts [minilm|tiny|all] [--out DIR] [--force]
 *
 * Graph (opset 17, where LayerNormalization is a standard op), following Hugging Face
 * `BertModel` (transformers/models/bert/modeling_bert.py):
 *   embeddings = LayerNorm(word[input_ids] + position[0..S) + token_type[token_type_ids])
 *   per layer:  x = LayerNorm(x + Wo·softmax(QKᵀ/√d + mask)·V);  x = LayerNorm(x + W2·gelu(W1·x))
 *   mask = (1 − attention_mask) · −10000 (the additive mask of the original BERT)
 *   gelu(x) = 0.5·x·(1 + erf(x/√2))
 * Output `last_hidden_state` float32 [batch, seq, hidden].
 *
 * @module scripts/make-synthetic-model
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { mulberry32 } from './lib/mulberry32.js';

const { onnx } = onnxProto;

/** Architecture hyper-parameters of a BERT encoder. */
export interface BertSpec {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly positions: number;
  readonly typeVocab: number;
  readonly eps: number;
}

/** The variants this script makes. */
export type SyntheticVariant = 'minilm' | 'tiny';

/**
 * Hyper-parameters per variant. `minilm` copies the config.json of sentence-transformers/all-MiniLM-L6-v2
 * (../shared/models/bert-base-uncased-tokenizer/config.json); `tiny` keeps the vocabulary and shrinks the rest.
 */
export const SYNTHETIC_SPECS: Readonly<Record<SyntheticVariant, BertSpec>> = {
  minilm: { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, positions: 512, typeVocab: 2, eps: 1e-12 },
  tiny: { layers: 2, hidden: 32, heads: 2, intermediate: 128, vocab: 30522, positions: 512, typeVocab: 2, eps: 1e-12 },
};

/** Model ids written into the codeidx model config of each variant. */
export const SYNTHETIC_MODEL_IDS: Readonly<Record<SyntheticVariant, string>> = {
  minilm: 'codeidx/synthetic-minilm',
  tiny: 'codeidx/synthetic-tiny',
};

/** Bumped whenever the generated graph or weights change (it is the model revision). */
export const SYNTHETIC_REVISION = 'synthetic-v1';

/** Default seed of the weight PRNG. */
export const DEFAULT_SEED = 20240611;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOKENIZER_DIR = resolve(REPO_ROOT, '..', 'shared', 'models', 'bert-base-uncased-tokenizer');

/** Float32 weights by initializer name (row-major, shapes as in the ONNX graph). */
export type Weights = Map<string, { dims: number[]; data: Float32Array }>;


/**
 * Builds the ONNX model bytes and the weights of a synthetic BERT encoder.
 * Weights: uniform with standard deviation 0.02 (BERT's `initializer_range`), biases small, LayerNorm γ=1, β=0.
 * Deterministic for a given `spec` and `seed`.
 */
export function buildSyntheticBert(spec: BertSpec, seed = DEFAULT_SEED): { bytes: Uint8Array; weights: Weights } {
  if (spec.hidden % spec.heads !== 0) throw new Error(`hidden ${spec.hidden} is not divisible by heads ${spec.heads}`);
  const rand = mulberry32(seed);
  const amp = 0.02 * Math.sqrt(3); // uniform[-a, a] has std a/√3
  const weights: Weights = new Map();
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];

  const addTensor = (name: string, dims: number[], data: Float32Array): string => {
    weights.set(name, { dims, data });
    initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  };
  const random = (name: string, dims: number[], scale = amp): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
    return addTensor(name, dims, data);
  };
  const constant = (name: string, dims: number[], value: number): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    return addTensor(name, dims, new Float32Array(n).fill(value));
  };
  const int64 = (name: string, values: number[]): string => {
    initializers.push(
      onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }),
    );
    return name;
  };
  const scalarInt64 = (name: string, value: number): string => {
    initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: onnx.TensorProto.DataType.INT64, int64Data: [value] }));
    return name;
  };
  let counter = 0;
  const node = (
    opType: string,
    inputs: string[],
    attributes: InstanceType<typeof onnx.AttributeProto>[] = [],
    output?: string,
  ): string => {
    const out = output ?? `${opType.toLowerCase()}_${counter++}`;
    nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [out], name: `${out}_node`, attribute: attributes }));
    return out;
  };
  const attrInt = (name: string, i: number) =>
    onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
  const attrInts = (name: string, ints: number[]) =>
    onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });
  const attrFloat = (name: string, f: number) =>
    onnx.AttributeProto.create({ name, f, type: onnx.AttributeProto.AttributeType.FLOAT });
  const layerNorm = (x: string, prefix: string, output?: string): string =>
    node(
      'LayerNormalization',
      [x, constant(`${prefix}.weight`, [spec.hidden], 1), constant(`${prefix}.bias`, [spec.hidden], 0)],
      [attrInt('axis', -1), attrFloat('epsilon', spec.eps)],
      output,
    );
  const linear = (x: string, prefix: string, inDim: number, outDim: number): string =>
    node('Add', [node('MatMul', [x, random(`${prefix}.weight`, [inDim, outDim])]), random(`${prefix}.bias`, [outDim], 0.01)]);

  const H = spec.hidden;
  const headDim = H / spec.heads;

  // Embeddings.
  const words = node('Gather', [random('embeddings.word_embeddings.weight', [spec.vocab, H]), 'input_ids'], [attrInt('axis', 0)]);
  const shape = node('Shape', ['input_ids']);
  const seqLen = node('Gather', [shape, scalarInt64('const_one_scalar', 1)], [attrInt('axis', 0)]);
  const positionIds = node('Range', [scalarInt64('const_zero_scalar', 0), seqLen, 'const_one_scalar']);
  const positions = node('Gather', [random('embeddings.position_embeddings.weight', [spec.positions, H]), positionIds], [attrInt('axis', 0)]);
  const types = node('Gather', [random('embeddings.token_type_embeddings.weight', [spec.typeVocab, H]), 'token_type_ids'], [attrInt('axis', 0)]);
  let x = layerNorm(node('Add', [node('Add', [words, positions]), types]), 'embeddings.LayerNorm');

  // Additive attention mask [B, 1, 1, S]: 0 where attended, -10000 at padding.
  const maskFloat = node('Cast', ['attention_mask'], [attrInt('to', onnx.TensorProto.DataType.FLOAT)]);
  const inverted = node('Sub', [constant('const_one_float', [], 1), maskFloat]);
  const additive = node('Mul', [inverted, constant('const_mask_value', [], -10000)]);
  const mask = node('Unsqueeze', [additive, int64('const_mask_axes', [1, 2])]);

  const splitShape = int64('const_split_heads_shape', [0, 0, spec.heads, headDim]);
  const mergeShape = int64('const_merge_heads_shape', [0, 0, H]);
  const scale = constant('const_attention_scale', [], 1 / Math.sqrt(headDim));
  const sqrt2 = constant('const_sqrt2', [], Math.SQRT2);
  const one = 'const_one_float';
  const half = constant('const_half', [], 0.5);

  for (let l = 0; l < spec.layers; l++) {
    const p = `encoder.layer.${l}`;
    const heads = (t: string, perm: number[]) => node('Transpose', [node('Reshape', [t, splitShape])], [attrInts('perm', perm)]);
    const q = heads(linear(x, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]);
    const k = heads(linear(x, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = heads(linear(x, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = node('Add', [node('Mul', [node('MatMul', [q, k]), scale]), mask]);
    const probs = node('Softmax', [scores], [attrInt('axis', -1)]);
    const context = node('Reshape', [node('Transpose', [node('MatMul', [probs, v])], [attrInts('perm', [0, 2, 1, 3])]), mergeShape]);
    const attnOut = linear(context, `${p}.attention.output.dense`, H, H);
    x = layerNorm(node('Add', [attnOut, x]), `${p}.attention.output.LayerNorm`);
    const inter = linear(x, `${p}.intermediate.dense`, H, spec.intermediate);
    const erf = node('Erf', [node('Div', [inter, sqrt2])]);
    const gelu = node('Mul', [node('Mul', [inter, node('Add', [erf, one])]), half]);
    const ffnOut = linear(gelu, `${p}.output.dense`, spec.intermediate, H);
    x = layerNorm(node('Add', [ffnOut, x]), `${p}.output.LayerNorm`, l === spec.layers - 1 ? 'last_hidden_state' : undefined);
  }

  const intInput = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.INT64,
          shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'synthetic_bert',
    node: nodes,
    initializer: initializers,
    input: [intInput('input_ids'), intInput('attention_mask'), intInput('token_type_ids')],
    output: [
      onnx.ValueInfoProto.create({
        name: 'last_hidden_state',
        type: {
          tensorType: {
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: H }] },
          },
        },
      }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'codeidx-make-synthetic-model',
    producerVersion: SYNTHETIC_REVISION,
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), weights };
}

/** Default output directory of a variant: models/synthetic-<variant> under the repository. */
export function defaultSyntheticDir(variant: SyntheticVariant): string {
  return join(REPO_ROOT, 'models', `synthetic-${variant}`);
}

/** Writes a file through a temp file + rename, so concurrent readers never see a partial file. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Writes a complete model directory: model.onnx, tokenizer.json and tokenizer_config.json
 * (copied from ../shared/models/bert-base-uncased-tokenizer), codeidx-model.json and a README.
 * model.onnx is written last through a temp file + rename, so a present model.onnx means a complete directory.
 */
export function writeSyntheticModel(variant: SyntheticVariant, dir = defaultSyntheticDir(variant), seed = DEFAULT_SEED): string {
  const spec = SYNTHETIC_SPECS[variant];
  mkdirSync(dir, { recursive: true });
  // Copied by content (not copyFileSync) so that the read-only mode of shared/ does not follow.
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) writeAtomic(join(dir, file), readFileSync(join(TOKENIZER_DIR, file)));
  const config = {
    id: SYNTHETIC_MODEL_IDS[variant],
    revision: SYNTHETIC_REVISION,
    dims: spec.hidden,
    pooling: 'mean',
    maxTokens: 256,
    queryPrefix: '',
    documentPrefix: '',
    model: 'model.onnx',
  };
  writeAtomic(join(dir, 'codeidx-model.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeAtomic(
    join(dir, 'README.md'),
    `# ${config.id} (synthetic)\n\n` +
      `Generated by scripts/make-synthetic-model.ts (variant "${variant}", seed ${seed}).\n\n` +
      `**The vectors carry no meaning.** This is a BERT encoder with random weights: ${spec.layers} layers, ` +
      `hidden ${spec.hidden}, ${spec.heads} heads, FFN ${spec.intermediate}, vocabulary ${spec.vocab}. ` +
      `It exists so that tests and benchmarks pay the real compute cost of the architecture ` +
      `without downloading pretrained weights. Never use it to index code for real searches.\n`,
  );
  const { bytes } = buildSyntheticBert(spec, seed);
  writeAtomic(join(dir, 'model.onnx'), bytes);
  return dir;
}

/**
 * Returns the directory of a synthetic model, generating it first when model.onnx or
 * codeidx-model.json is missing. Deterministic: the same variant always yields the same files.
 */
export function ensureSyntheticModel(variant: SyntheticVariant, dir = defaultSyntheticDir(variant)): string {
  if (existsSync(join(dir, 'model.onnx')) && existsSync(join(dir, 'codeidx-model.json')) && existsSync(join(dir, 'tokenizer.json'))) {
    return dir;
  }
  return writeSyntheticModel(variant, dir);
}

function main(argv: string[]): void {
  const which = argv.find((a) => !a.startsWith('--')) ?? 'all';
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const force = argv.includes('--force');
  const variants: SyntheticVariant[] = which === 'all' ? ['minilm', 'tiny'] : [which as SyntheticVariant];
  for (const variant of variants) {
    if (!(variant in SYNTHETIC_SPECS)) throw new Error(`unknown variant "${variant}" (minilm | tiny | all)`);
    const dir = out !== undefined && variants.length === 1 ? resolve(out) : defaultSyntheticDir(variant);
    const written = force ? writeSyntheticModel(variant, dir) : ensureSyntheticModel(variant, dir);
    console.log(`${variant}: ${written}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
