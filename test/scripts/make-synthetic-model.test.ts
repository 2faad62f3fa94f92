import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  buildSyntheticBert,
  ensureSyntheticModel,
  SYNTHETIC_SPECS,
  type BertSpec,
  type Weights,
} from '../../scripts/make-synthetic-model.js';

/** Plain-JS BERT forward pass (Hugging Face BertModel semantics) for one unpadded sequence: [S][H]. */
function referenceBert(spec: BertSpec, w: Weights, ids: number[]): number[][] {
  const get = (name: string) => {
    const t = w.get(name);
    if (t === undefined) throw new Error(`missing weight ${name}`);
    return t.data;
  };
  const H = spec.hidden;
  const layerNorm = (x: number[], prefix: string) => {
    const g = get(`${prefix}.weight`);
    const b = get(`${prefix}.bias`);
    const mean = x.reduce((a, v) => a + v, 0) / H;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / H;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + spec.eps)) * (g[i]) + (b[i]));
  };
  const linear = (x: number[], prefix: string, outDim: number) => {
    const W = get(`${prefix}.weight`);
    const b = get(`${prefix}.bias`);
    const y: number[] = [];
    for (let o = 0; o < outDim; o++) {
      let s = b[o];
      for (let i = 0; i < x.length; i++) s += (x[i]) * (W[i * outDim + o]);
      y.push(s);
    }
    return y;
  };
  const word = get('embeddings.word_embeddings.weight');
  const pos = get('embeddings.position_embeddings.weight');
  const type = get('embeddings.token_type_embeddings.weight');
  let x = ids.map((id, s) =>
    layerNorm(
      Array.from({ length: H }, (_, d) => (word[id * H + d]) + (pos[s * H + d]) + (type[d])),
      'embeddings.LayerNorm',
    ),
  );
  const hd = H / spec.heads;
  for (let l = 0; l < spec.layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = x.map((r) => linear(r, `${p}.attention.self.query`, H));
    const k = x.map((r) => linear(r, `${p}.attention.self.key`, H));
    const v = x.map((r) => linear(r, `${p}.attention.self.value`, H));
    const ctx = x.map(() => new Array<number>(H).fill(0));
    for (let h = 0; h < spec.heads; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = k.map((kr) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += (q[i]?.[h * hd + d]) * (kr[h * hd + d]);
          return s / Math.sqrt(hd);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) {
          for (let d = 0; d < hd; d++) (ctx[i])[h * hd + d] += ((e[j]) / z) * (v[j]?.[h * hd + d]);
        }
      }
    }
    x = x.map((r, i) => {
      const a = linear(ctx[i], `${p}.attention.output.dense`, H);
      const y = layerNorm(a.map((val, d) => val + (r[d])), `${p}.attention.output.LayerNorm`);
      const inter = linear(y, `${p}.intermediate.dense`, spec.intermediate).map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2)));
      const out = linear(inter, `${p}.output.dense`, H);
      return layerNorm(out.map((val, d) => val + (y[d])), `${p}.output.LayerNorm`);
    });
  }
  return x;
}

/** erf by Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7): ample for comparisons at 1e-4. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

async function run(bytes: Uint8Array, rows: number[][]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const B = rows.length;
  const S = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(B * S);
  const mask = new BigInt64Array(B * S);
  rows.forEach((r, b) => r.forEach((id, s) => ((ids[b * S + s] = BigInt(id)), (mask[b * S + s] = 1n))));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [B, S]),
    attention_mask: new ort.Tensor('int64', mask, [B, S]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(B * S), [B, S]),
  });
  await session.release();
  const t = out.last_hidden_state;
  return { data: t.data as Float32Array, dims: t.dims };
}

describe('synthetic BERT generator', () => {
  const spec = SYNTHETIC_SPECS.tiny;
  const { bytes, weights } = buildSyntheticBert(spec, 42);

  it('matches a plain-JS BERT forward pass, with padding masked out', async () => {
    const short = [101, 2023, 2003, 1037, 102];
    const long = [101, 7592, 2088, 2003, 1037, 3231, 1997, 1996, 3642, 102];
    const { data, dims } = await run(bytes, [short, long]);
    expect(dims).toEqual([2, 10, 32]);
    for (const [b, ids] of [short, long].entries()) {
      const ref = referenceBert(spec, weights, ids);
      for (let s = 0; s < ids.length; s++) {
        for (let d = 0; d < 32; d++) expect(data[(b * 10 + s) * 32 + d]).toBeCloseTo(ref[s]?.[d], 4);
      }
    }
  });

  it('is deterministic per seed', () => {
    expect(Buffer.from(buildSyntheticBert(spec, 42).bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(buildSyntheticBert(spec, 43).bytes).equals(Buffer.from(bytes))).toBe(false);
  });

  it('copies the MiniLM architecture from its config.json', () => {
    const config = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'shared', 'models', 'bert-base-uncased-tokenizer', 'config.json'), 'utf8')) as Record<string, number>;
    expect(SYNTHETIC_SPECS.minilm).toEqual({
      layers: config.num_hidden_layers,
      hidden: config.hidden_size,
      heads: config.num_attention_heads,
      intermediate: config.intermediate_size,
      vocab: config.vocab_size,
      positions: config.max_position_embeddings,
      typeVocab: config.type_vocab_size,
      eps: config.layer_norm_eps,
    });
  });

  it('writes a complete model directory once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codeidx-synth-'));
    try {
      ensureSyntheticModel('tiny', dir);
      const config = JSON.parse(readFileSync(join(dir, 'codeidx-model.json'), 'utf8')) as { dims: number; pooling: string };
      expect(config).toMatchObject({ dims: 32, pooling: 'mean' });
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/vectors carry no meaning/);
      expect(readFileSync(join(dir, 'tokenizer.json')).length).toBe(711_661);
      expect(readFileSync(join(dir, 'model.onnx')).length).toBeGreaterThan(30522 * 32 * 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
