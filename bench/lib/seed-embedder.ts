/**
 * An `Embedder` with the exact identity of a real model (same `ModelInfo`, same tokenizer, so the
 * same chunks, content hashes, store file and cache keys) whose vectors are pseudo-random unit
 * vectors derived from the text. The harness uses it to pre-fill stores and embedding caches in
 * seconds instead of the hour a MiniLM-size model takes on the Go standard library; the measured
 * runs then use the real model. The synthetic model's vectors carry no meaning either, and kNN
 * cost does not depend on the values of the vectors.
 *
 * @module bench/lib/seed-embedder
 */
import { createHash } from 'node:crypto';
import { loadModelDirectory } from '../../src/adapters/hf/model-resolver.js';
import { HfTokenizer } from '../../src/adapters/tokenizer/hf-tokenizer.js';
import type { Embedder, ModelInfo, TokenCounter } from '../../src/core/ports.js';
import { mulberry32 } from '../../scripts/lib/mulberry32.js';


/** A unit vector of `dims` Gaussian components (Box–Muller) seeded by the SHA-256 of `text`. */
export function pseudoVector(text: string, dims: number): Float32Array {
  const random = mulberry32(createHash('sha256').update(text).digest().readUInt32LE(0));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const g = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    v[i] = g;
    norm += g * g;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] = (v[i] ?? 0) * inv;
  return v;
}

/** The seeding embedder; build with `SeedEmbedder.forModelDir`. */
export class SeedEmbedder implements Embedder {
  readonly device = 'seed';
  /** Texts "embedded" so far. */
  embedded = 0;

  private constructor(
    readonly info: ModelInfo,
    readonly tokenCounter: TokenCounter,
  ) {}

  /** Takes the identity and tokenizer of the model directory `dir` (nothing is run). */
  static async forModelDir(dir: string): Promise<SeedEmbedder> {
    const model = await loadModelDirectory(dir);
    return new SeedEmbedder(model.info, HfTokenizer.fromDirectory(model.dir));
  }

  embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    this.embedded += texts.length;
    return Promise.resolve(texts.map((t) => pseudoVector(this.info.documentPrefix + t, this.info.dims)));
  }

  embedQuery(text: string): Promise<Float32Array> {
    return Promise.resolve(pseudoVector(this.info.queryPrefix + text, this.info.dims));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
