import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEmbedder } from '../../../src/adapters/onnx/onnx-embedder.js';
import { WorkerEmbedder } from '../../../src/adapters/onnx/worker-embedder.js';
import {
  BUILTIN_MODEL_ID,
  builtinModelDir,
  resolveBuiltinModel,
  verifyBuiltinModel,
} from '../../../src/adapters/static-model/builtin-model.js';
import { ModelError } from '../../../src/core/errors.js';
import { queryProblem } from '../../../src/core/query-check.js';

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

interface ModelConfig {
  dims: number;
  sha256: string;
  reference: { input_ids: number[][]; first8: number[][] };
}
/** Runs the built-in graph on one sequence of ids (attention mask all 1 unless given) and returns its embedding. */
async function runGraph(
  session: ort.InferenceSession,
  ids: number[],
  mask?: number[],
): Promise<Float32Array> {
  const shape = [1, ids.length];
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), shape),
    attention_mask: new ort.Tensor(
      'int64',
      BigInt64Array.from((mask ?? ids.map(() => 1)).map(BigInt)),
      shape,
    ),
  });
  return out.sentence_embedding?.data as Float32Array;
}
const config = (): ModelConfig =>
  JSON.parse(readFileSync(join(builtinModelDir(), 'codeidx-model.json'), 'utf8')) as ModelConfig;

describe('built-in model files', () => {
  it('ships model.onnx within 20 MB, the tokenizer files and a model card', () => {
    const dir = builtinModelDir();
    expect(statSync(join(dir, 'model.onnx')).size).toBeLessThanOrEqual(20 * 1024 * 1024);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'codeidx-model.json', 'MODEL_CARD.md'])
      expect(statSync(join(dir, f)).isFile()).toBe(true);
  });

  it('declares the hybrid fusion tuned on the validation suite (MODEL_CARD.md, "Hybrid fusion")', async () => {
    const { info } = await resolveBuiltinModel(undefined, { deferChecksum: true });
    expect(info.fusion).toEqual({ k: 2, weights: { semantic: 1, lexical: 0.3 } });
  });

  it('verifies the sha256 of model.onnx', async () => {
    expect(verifyBuiltinModel()).toBe(builtinModelDir());
    const deferred = await resolveBuiltinModel(undefined, { deferChecksum: true });
    const embedder = await OnnxEmbedder.create(deferred, { device: 'cpu', intraOpThreads: 1 });
    await embedder.close();
  });

  describe('on a damaged copy', () => {
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'codeidx-builtin-'));
      cpSync(builtinModelDir(), copy, { recursive: true });
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it('a changed byte is a checksum mismatch naming both digests', async () => {
      const path = join(copy, 'model.onnx');
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(path, bytes);
      expect(() => verifyBuiltinModel(copy)).toThrow(ModelError);
      expect(() => verifyBuiltinModel(copy)).toThrow(
        new RegExp(`checksum mismatch.*expected sha256 ${config().sha256}`),
      );
      await expect(resolveBuiltinModel(copy)).rejects.toThrow(/checksum mismatch/);
      // Deferred: resolving does not hash; the embedder checks before loading, in its own thread.
      const deferred = await resolveBuiltinModel(copy, { deferChecksum: true });
      expect(deferred.sha256).toBe(config().sha256);
      await expect(OnnxEmbedder.create(deferred, { device: 'cpu', intraOpThreads: 1 })).rejects.toThrow(
        new RegExp(`checksum mismatch.*expected sha256 ${config().sha256}`),
      );
      const worker = WorkerEmbedder.start(deferred, { device: 'cpu', intraOpThreads: 1 });
      await expect(worker.ready).rejects.toBeInstanceOf(ModelError);
      await expect(worker.embedDocuments(['x'])).rejects.toThrow(/checksum mismatch/);
      await worker.close();
    });

    it('a missing model file or config is a clear error', () => {
      rmSync(join(copy, 'model.onnx'));
      expect(() => verifyBuiltinModel(copy)).toThrow(/built-in model file .*model\.onnx is missing/);
      rmSync(join(copy, 'codeidx-model.json'));
      expect(() => verifyBuiltinModel(copy)).toThrow(/built-in model is missing/);
    });
  });
});

describe('built-in model through OnnxEmbedder', () => {
  let embedder: OnnxEmbedder;
  beforeAll(async () => {
    embedder = await OnnxEmbedder.create(await resolveBuiltinModel(), { device: 'cpu', intraOpThreads: 1 });
  });
  afterAll(async () => embedder.close());

  it('identifies itself and gives unit vectors of its dims', async () => {
    expect(embedder.info.id).toBe(BUILTIN_MODEL_ID);
    expect(embedder.info.dims).toBe(config().dims);
    const vs = await embedder.embedDocuments([
      'func ReadFile(name string) ([]byte, error) {',
      'def parse_config(path):\n    return json.load(open(path))',
    ]);
    for (const v of vs) {
      expect(v).toHaveLength(config().dims);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it('the ONNX graph computes what the training script computed (reference vectors)', async () => {
    const session = await ort.InferenceSession.create(join(builtinModelDir(), 'model.onnx'));
    const ref = config().reference;
    for (const [i, ids] of ref.input_ids.entries()) {
      const v = await runGraph(session, ids);
      for (let d = 0; d < 8; d++) expect(v[d]).toBeCloseTo(ref.first8[i]?.[d] ?? Number.NaN, 5);
    }
    await session.release();
  });

  it('counts a repeated token (sublinear term frequency) only where the attention mask is 1', async () => {
    const session = await ort.InferenceSession.create(join(builtinModelDir(), 'model.onnx'));
    const run = (ids: number[], mask: number[]): Promise<Float32Array> => runGraph(session, ids, mask);
    const [x, y] = [2175, 4642];
    const text = [101, x, x, y, 102];
    const alone = await run(text, [1, 1, 1, 1, 1]);
    // The same text followed by masked-out copies of x: x still occurs twice, so nothing changes ...
    const masked = await run([...text, x, x], [1, 1, 1, 1, 1, 0, 0]);
    for (let d = 0; d < alone.length; d++) expect(masked[d]).toBeCloseTo(alone[d] ?? Number.NaN, 5);
    // ... while unmasked copies change x's count and so the balance of x and y.
    const unmasked = await run([...text, x, x], [1, 1, 1, 1, 1, 1, 1]);
    expect(cos(alone, unmasked)).toBeLessThan(0.9999);
    await session.release();
  });

  it('weighs tokens by position from the start of each text, so right padding in a batch changes nothing', async () => {
    const short = 'func ReadFile(name string) ([]byte, error) {';
    const long = `// ${'helper '.repeat(200)}\nfunc main() {}`;
    // A text with repeated tokens (sublinear term frequency) is padded too.
    const repeats = 'func readFile(name string) { return os.ReadFile(name) } // read the file named name';
    const [alone, repeatsAlone] = await embedder.embedDocuments([short, repeats]);
    const [inBatch, , repeatsInBatch] = await embedder.embedDocuments([short, long, repeats]);
    for (let d = 0; d < alone.length; d++) {
      expect(inBatch[d]).toBeCloseTo(alone[d] ?? Number.NaN, 5);
      expect(repeatsInBatch[d]).toBeCloseTo(repeatsAlone[d] ?? Number.NaN, 5);
    }
    // The same tokens in another order are another sum of position-weighted rows.
    const [swapped] = await embedder.embedDocuments(['error byte string name file read func']);
    expect(cos(alone, swapped)).toBeLessThan(0.9999);
  });

  it('splits identifiers before WordPiece, so camelCase, snake_case and words embed alike', async () => {
    const [camel, snake, words, other] = await embedder.embedDocuments([
      'readConfigFile',
      'read_config_file',
      'read config file',
      'sortedIntegerList',
    ]);
    expect(cos(camel, snake)).toBeCloseTo(1, 5);
    expect(cos(camel, words)).toBeCloseTo(1, 5);
    expect(cos(camel, other)).toBeLessThan(0.9);
  });

  it('ranks matching code above unrelated code for a natural-language query', async () => {
    const q = await embedder.embedQuery('read the whole file into memory');
    const [file, http] = await embedder.embedDocuments([
      'func ReadFile(name string) ([]byte, error) {\n\tf, err := os.Open(name)\n\tdefer f.Close()\n\treturn io.ReadAll(f)\n}',
      'func (c *Client) SetCookie(w http.ResponseWriter, cookie *http.Cookie) {\n\tw.Header().Add("Set-Cookie", cookie.String())\n}',
    ]);
    expect(cos(q, file)).toBeGreaterThan(cos(q, http));
  });

  it('bad queries: long and non-Latin text embed to unit vectors; empty and punctuation-only are rejected with a message', async () => {
    const long = await embedder.embedQuery('parse '.repeat(2000).slice(0, 10_000));
    expect(norm(long)).toBeCloseTo(1, 5);
    const cyrillic = await embedder.embedQuery('прочитать файл');
    expect(norm(cyrillic)).toBeCloseTo(1, 5);
    // Punctuation and empty text have no token the model knows: the vector is zero (never NaN), which is
    // why callers check queryProblem first and report it instead of ranking by an all-zero vector.
    const punct = await embedder.embedQuery('?!(){}[];');
    expect([...punct].every((x) => x === 0)).toBe(true);
    expect(queryProblem('?!(){}[];')).toMatch(/no letters or digits/);
    expect(queryProblem('')).toBe('the query is empty');
    expect(queryProblem('x'.repeat(10_000))).toMatch(/10000 characters long; the limit is 2000/);
    expect(queryProblem('прочитать файл')).toBeNull();
  });
});
