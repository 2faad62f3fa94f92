import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDirectory, type ResolvedModel } from '../../../src/adapters/hf/model-resolver.js';
import { DEFAULT_MAX_BATCH_TOKENS, OnnxEmbedder, type EncoderSession } from '../../../src/adapters/onnx/onnx-embedder.js';
import { HfTokenizer } from '../../../src/adapters/tokenizer/hf-tokenizer.js';
import { EmbeddingError, ModelError } from '../../../src/core/errors.js';
import { ensureSyntheticModel } from '../../../scripts/make-synthetic-model.js';

const TEXTS = [
  'function add(a, b) { return a + b; }',
  'x',
  'export class UserRepository { async findById(id: string): Promise<User | null> { return this.db.get(id); } }',
  'def parse_config(path):\n    with open(path) as f:\n        return yaml.safe_load(f)',
  'SELECT * FROM users WHERE id = ?',
];

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}
function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i]) - (b[i])));
  return m;
}
function normalized(v: Float32Array): Float32Array {
  const n = norm(v);
  return v.map((x) => x / n);
}

describe('OnnxEmbedder on the tiny synthetic BERT', () => {
  let model: ResolvedModel;
  let embedder: OnnxEmbedder;
  const opened: OnnxEmbedder[] = [];
  const make = async (overrides: Partial<ResolvedModel['info']> = {}, batchSize = 2) => {
    const e = await OnnxEmbedder.create({ ...model, info: { ...model.info, ...overrides } }, { batchSize, intraOpThreads: 1, device: 'cpu' });
    opened.push(e);
    return e;
  };

  beforeAll(async () => {
    model = await loadModelDirectory(ensureSyntheticModel('tiny'));
    embedder = await make();
  });
  afterAll(async () => {
    for (const e of opened) await e.close();
  });

  it('returns one unit-length vector of info.dims per text, on the cpu device', async () => {
    const vectors = await embedder.embedDocuments(TEXTS);
    expect(embedder.device).toBe('cpu');
    expect(vectors).toHaveLength(TEXTS.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(32);
      expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
    }
    expect(maxDiff(vectors[0], vectors[2])).toBeGreaterThan(1e-3);
  });

  it('keeps input order after length sorting, and padding does not change vectors', async () => {
    const together = await embedder.embedDocuments(TEXTS); // batches of 2, mixed lengths, padded
    for (let i = 0; i < TEXTS.length; i++) {
      const [alone] = await embedder.embedDocuments([TEXTS[i]]);
      expect(maxDiff(together[i], alone)).toBeLessThan(1e-5);
    }
  });

  it('gives the same vector for a text alone and in a batch with a much longer text', async () => {
    const wide = await make({}, 8);
    const short = 'const a = 1;';
    const long = 'token '.repeat(200);
    const [alone] = await wide.embedDocuments([short]);
    const [inBatch] = await wide.embedDocuments([short, long]);
    expect(maxDiff(alone, inBatch)).toBeLessThan(1e-5);
  });

  it('reports progress per batch', async () => {
    const done: number[] = [];
    await embedder.embedDocuments(TEXTS, (n) => done.push(n));
    expect(done).toEqual([2, 4, 5]);
  });

  it('caps padded tokens per batch: long texts go in smaller batches, results unchanged', async () => {
    const capped = await OnnxEmbedder.create(model, { batchSize: 4, maxBatchTokens: 40, intraOpThreads: 1, device: 'cpu' });
    opened.push(capped);
    const texts = ['word '.repeat(30), 'a', 'b', 'c', 'd', 'e'];
    const done: number[] = [];
    const vectors = await capped.embedDocuments(texts, (n) => done.push(n));
    // The 32-token text fills a batch alone; the five 3-token texts fit four per batch.
    expect(done).toEqual([1, 5, 6]);
    const reference = await embedder.embedDocuments(texts);
    vectors.forEach((v, i) => expect(maxDiff(v, reference[i])).toBeLessThan(1e-5));
  });

  it('caps padded tokens at DEFAULT_MAX_BATCH_TOKENS on CPU by default, but not on CUDA', async () => {
    const perText = model.info.maxTokens;
    const n = Math.ceil((2 * DEFAULT_MAX_BATCH_TOKENS) / perText);
    const texts = Array.from({ length: n }, (_, i) => `word${i} `.repeat(perText * 2));
    const batches = async (e: OnnxEmbedder): Promise<number[]> => {
      const done: number[] = [];
      await e.embedDocuments(texts, (k) => done.push(k));
      return done;
    };
    const cpu = await OnnxEmbedder.create(model, { batchSize: n, intraOpThreads: 1, device: 'cpu' });
    opened.push(cpu);
    // A CUDA device as the probe sees it; the session itself runs on CPU (no GPU here).
    const cuda = await OnnxEmbedder.create(model, {
      batchSize: n,
      intraOpThreads: 1,
      device: 'auto',
      probe: { hasNvidiaGpu: () => true, hasCudaProvider: () => true },
      sessionFactory: (path) => ort.InferenceSession.create(path, { intraOpNumThreads: 1 }),
    });
    opened.push(cuda);
    expect(cuda.device).toBe('cuda');
    const perBatch = Math.floor(DEFAULT_MAX_BATCH_TOKENS / perText);
    expect((await batches(cpu))[0]).toBe(perBatch);
    expect(await batches(cuda)).toEqual([n]);
  });

  it('applies the document and query prefixes', async () => {
    const prefixed = await make({ documentPrefix: 'passage: ', queryPrefix: 'query: ' });
    const [doc] = await prefixed.embedDocuments(['find the user']);
    const [manualDoc] = await embedder.embedDocuments(['passage: find the user']);
    expect(maxDiff(doc, manualDoc)).toBeLessThan(1e-6);
    const query = await prefixed.embedQuery('find the user');
    const [manualQuery] = await embedder.embedDocuments(['query: find the user']);
    expect(maxDiff(query, manualQuery)).toBeLessThan(1e-6);
    expect(maxDiff(query, doc)).toBeGreaterThan(1e-3);
  });

  it('pools by mean or CLS as the model says, matching a direct onnxruntime run', async () => {
    const text = 'async function main() { await run(); }';
    const ids = HfTokenizer.fromDirectory(model.dir).encode(text, 256).ids;
    const session = await ort.InferenceSession.create(model.modelPath, { intraOpNumThreads: 1 });
    const S = ids.length;
    const tensor = (data: bigint[]) => new ort.Tensor('int64', BigInt64Array.from(data), [1, S]);
    const out = await session.run({
      input_ids: tensor(ids.map(BigInt)),
      attention_mask: tensor(ids.map(() => 1n)),
      token_type_ids: tensor(ids.map(() => 0n)),
    });
    await session.release();
    const hidden = out.last_hidden_state?.data as Float32Array;
    const mean = new Float32Array(32);
    for (let s = 0; s < S; s++) for (let d = 0; d < 32; d++) mean[d] = (mean[d]) + (hidden[s * 32 + d]) / S;
    const cls = hidden.slice(0, 32);
    const meanVec = await embedder.embedQuery(text);
    const clsVec = await (await make({ pooling: 'cls' })).embedQuery(text);
    expect(maxDiff(meanVec, normalized(mean))).toBeLessThan(1e-5);
    expect(maxDiff(clsVec, normalized(cls))).toBeLessThan(1e-5);
    expect(maxDiff(meanVec, clsVec)).toBeGreaterThan(1e-3);
  });

  it('truncates inputs longer than maxTokens', async () => {
    const short = await make({ maxTokens: 16 });
    const long = 'alpha beta gamma delta '.repeat(100);
    const [v] = await short.embedDocuments([long]);
    const [prefixOnly] = await short.embedDocuments([`${long} something else entirely`]);
    expect(maxDiff(v, prefixOnly)).toBeLessThan(1e-6);
  });

  it('fails with EmbeddingError when the model dims disagree with its config', async () => {
    const wrong = await make({ dims: 64 });
    await expect(wrong.embedQuery('x')).rejects.toThrow(EmbeddingError);
  });

  it('serialises concurrent calls (shared buffers) and gives the same results', async () => {
    const [a, b] = await Promise.all([embedder.embedDocuments(TEXTS), embedder.embedQuery(TEXTS[2])]);
    const [alone] = await embedder.embedDocuments([TEXTS[2]]);
    expect(maxDiff(a[2], alone)).toBeLessThan(1e-5);
    expect(maxDiff(b, alone)).toBeLessThan(1e-5);
  });
});

describe('OnnxEmbedder with a fake session', () => {
  let dir: string;
  beforeAll(() => {
    dir = ensureSyntheticModel('tiny');
  });

  const info = { id: 'fake', revision: 'r', dims: 3, maxTokens: 32, pooling: 'mean' as const, queryPrefix: '', documentPrefix: '' };
  const fake = (inputNames: string[], outputNames: string[], run: EncoderSession['run']): EncoderSession => ({
    inputNames,
    outputNames,
    run,
    release: () => Promise.resolve(),
  });

  it('uses an already pooled sentence_embedding output as is (only normalised), without token_type_ids', async () => {
    const seen: string[][] = [];
    const session = fake(['input_ids', 'attention_mask'], ['last_hidden_state', 'sentence_embedding'], (feeds) => {
      seen.push(Object.keys(feeds));
      const B = feeds.input_ids?.dims[0] ?? 0;
      const data = new Float32Array(B * 3);
      for (let b = 0; b < B; b++) data.set([3, 0, 4], b * 3);
      return Promise.resolve({ sentence_embedding: new ort.Tensor('float32', data, [B, 3]) });
    });
    const e = await OnnxEmbedder.create({ info, dir, modelPath: 'unused' }, { sessionFactory: () => Promise.resolve(session), device: 'cpu' });
    const [v] = await e.embedDocuments(['hello world']);
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), 0, expect.closeTo(0.8, 6)]);
    expect(seen).toEqual([['input_ids', 'attention_mask']]);
    await e.close();
  });

  it('rejects graphs whose inputs or outputs it cannot drive', async () => {
    const noop: EncoderSession['run'] = () => Promise.resolve({});
    const create = (s: EncoderSession) => OnnxEmbedder.create({ info, dir, modelPath: 'unused' }, { sessionFactory: () => Promise.resolve(s), device: 'cpu' });
    await expect(create(fake(['pixel_values'], ['x'], noop))).rejects.toThrow(ModelError);
    await expect(create(fake(['input_ids', 'position_ids'], ['x'], noop))).rejects.toThrow(/unsupported inputs: position_ids/);
    await expect(create(fake(['input_ids'], ['a', 'b'], noop))).rejects.toThrow(/which ONNX output/);
  });

  it('wraps an inference failure in EmbeddingError', async () => {
    const session = fake(['input_ids'], ['last_hidden_state'], () => Promise.reject(new Error('out of memory')));
    const e = await OnnxEmbedder.create({ info, dir, modelPath: 'unused' }, { sessionFactory: () => Promise.resolve(session), device: 'cpu' });
    await expect(e.embedQuery('x')).rejects.toThrow(EmbeddingError);
    await e.close();
    await expect(e.embedQuery('x')).rejects.toThrow(/closed/);
  });
});
