/**
 * A deterministic fake `Embedder` for pipeline tests: the vector of a text is derived from its
 * sha256, so equal texts get equal vectors and calls are counted. No model needed.
 */
import { createHash } from 'node:crypto';
import type { Embedder, ModelInfo, TokenCounter } from '../../src/core/ports.js';
import { estimateTokens } from '../../src/core/token-budget.js';

/** Fake embedder with `dims`-dimensional unit vectors; `embeddedTexts` records every document embedded. */
export class HashEmbedder implements Embedder {
  readonly info: ModelInfo;
  readonly device = 'cpu';
  readonly tokenCounter: TokenCounter = { count: (t) => estimateTokens(t) };
  readonly embeddedTexts: string[] = [];
  /** When set, `embedDocuments` throws once this many documents have been embedded. */
  failAfter: number | null = null;
  /** Set (with `delayMs`) to act as an embedder working off the calling thread, like WorkerEmbedder. */
  readonly offThread: boolean;
  /** `embed-start:<n texts>` and `embed-end:<n texts>`, in order, when `events` is given. */
  private readonly events: string[] | null;
  /** Delay before an off-thread `embedDocuments` resolves, in ms. */
  private readonly delayMs: number;

  constructor(
    dims = 8,
    id = 'test/hash-embedder',
    options: { readonly delayMs?: number; readonly events?: string[] } = {},
  ) {
    this.info = { id, revision: 'v1', dims, maxTokens: 256, pooling: 'mean', queryPrefix: '', documentPrefix: '' };
    this.offThread = options.delayMs !== undefined;
    this.delayMs = options.delayMs ?? 0;
    this.events = options.events ?? null;
  }

  vectorOf(text: string): Float32Array {
    const digest = createHash('sha256').update(text).digest();
    const v = new Float32Array(this.info.dims);
    let norm = 0;
    for (let i = 0; i < v.length; i++) {
      v[i] = (digest[i % digest.length] - 127.5) / 127.5;
      norm += v[i] * v[i];
    }
    for (let i = 0; i < v.length; i++) v[i] = v[i] / Math.sqrt(norm);
    return v;
  }

  embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    this.events?.push(`embed-start:${texts.length}`);
    if (this.failAfter !== null && this.embeddedTexts.length + texts.length > this.failAfter) {
      return Promise.reject(new Error('injected embedder failure'));
    }
    this.embeddedTexts.push(...texts);
    const vectors = texts.map((t) => this.vectorOf(t));
    if (!this.offThread) return Promise.resolve(vectors);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.events?.push(`embed-end:${texts.length}`);
        resolve(vectors);
      }, this.delayMs),
    );
  }

  embedQuery(text: string): Promise<Float32Array> {
    return Promise.resolve(this.vectorOf(text));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
