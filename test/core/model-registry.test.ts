import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_ID,
  findModel,
  knownModelIds,
  MODEL_REGISTRY,
  modelInfoOf,
  parseModelSpec,
} from '../../src/core/model-registry.js';

describe('model registry', () => {
  it('has unique ids and aliases', () => {
    const names = MODEL_REGISTRY.flatMap((m) => [m.id, ...m.aliases].map((n) => n.toLowerCase()));
    expect(new Set(names).size).toBe(names.length);
  });

  it('every entry downloads its ONNX graph and tokenizer.json, required', () => {
    for (const m of MODEL_REGISTRY) {
      const paths = m.files.filter((f) => f.required).map((f) => f.path);
      expect(paths).toContain(m.onnxFile);
      expect(paths).toContain('tokenizer.json');
      for (const f of m.files) if (f.sha256 !== null) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('pins the MiniLM files with the published sha256', () => {
    const q = findModel('all-MiniLM-L6-v2');
    expect(q?.id).toBe('Xenova/all-MiniLM-L6-v2');
    expect(q?.onnxFile).toBe('onnx/model_quantized.onnx');
    expect(q?.files.find((f) => f.path === 'onnx/model_quantized.onnx')?.sha256).toBe(
      'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
    );
    expect(q?.files.find((f) => f.path === 'tokenizer.json')?.sha256).toBe(
      'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    );
    const fp32 = findModel('Xenova/all-MiniLM-L6-v2:fp32');
    expect(fp32?.files.find((f) => f.path === 'onnx/model.onnx')?.sha256).toBe(
      '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e',
    );
    expect(fp32?.hubId).toBe('Xenova/all-MiniLM-L6-v2');
  });

  it('describes bge-small (CLS, query prefix) and jina code (768, capped input)', () => {
    const bge = findModel('bge-small-en-v1.5');
    expect(bge).toMatchObject({ dims: 384, pooling: 'cls', maxTokens: 512, documentPrefix: '' });
    expect(bge?.queryPrefix).toBe('Represent this sentence for searching relevant passages: ');
    const jina = findModel('jinaai/jina-embeddings-v2-base-code');
    expect(jina).toMatchObject({ dims: 768, pooling: 'mean' });
    expect(jina?.maxTokens).toBeLessThan(8192);
  });

  it('defaults to quantized MiniLM', () => {
    expect(findModel(DEFAULT_MODEL_ID)?.onnxFile).toBe('onnx/model_quantized.onnx');
  });

  it('looks names up case-insensitively and returns undefined for unknown ones', () => {
    expect(findModel('XENOVA/ALL-MINILM-L6-V2')?.id).toBe('Xenova/all-MiniLM-L6-v2');
    expect(findModel('nope/nothing')).toBeUndefined();
    expect(knownModelIds()).toContain('Xenova/bge-small-en-v1.5');
  });

  it('parses specs with and without revision', () => {
    expect(parseModelSpec('Xenova/all-MiniLM-L6-v2@main')).toEqual({ name: 'Xenova/all-MiniLM-L6-v2', revision: 'main' });
    expect(parseModelSpec('bge-small-en-v1.5')).toEqual({ name: 'bge-small-en-v1.5', revision: null });
    expect(parseModelSpec('x:fp32@abc123')).toEqual({ name: 'x:fp32', revision: 'abc123' });
    expect(parseModelSpec('@main')).toBeNull();
    expect(parseModelSpec('id@')).toBeNull();
  });

  it('builds ModelInfo at a revision', () => {
    const entry = findModel('bge-small-en-v1.5');
    if (entry === undefined) throw new Error('missing');
    expect(modelInfoOf(entry, 'abc')).toEqual({
      id: 'Xenova/bge-small-en-v1.5',
      revision: 'abc',
      dims: 384,
      maxTokens: 512,
      pooling: 'cls',
      queryPrefix: 'Represent this sentence for searching relevant passages: ',
      documentPrefix: '',
    });
  });
});
