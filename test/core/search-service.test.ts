import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION, type HybridFusion } from '../../src/core/fusion.js';
import type { Embedder, VectorStore } from '../../src/core/ports.js';
import { SearchService } from '../../src/core/search-service.js';
import type { StoreQuery } from '../../src/core/types.js';

/** A store that records the queries it is asked and answers none. */
function recordingStore(): { store: VectorStore; queries: StoreQuery[] } {
  const queries: StoreQuery[] = [];
  const store = {
    query: (q: StoreQuery) => {
      queries.push(q);
      return Promise.resolve([]);
    },
  } as unknown as VectorStore;
  return { store, queries };
}

function embedder(fusion?: HybridFusion): Embedder {
  return {
    info: {
      id: 'm',
      revision: 'r',
      dims: 2,
      maxTokens: 16,
      pooling: 'mean',
      queryPrefix: '',
      documentPrefix: '',
      ...(fusion ? { fusion } : {}),
    },
    device: 'cpu',
    tokenCounter: { count: (t) => t.length },
    embedDocuments: (texts) => Promise.resolve(texts.map(() => new Float32Array([1, 0]))),
    embedQuery: () => Promise.resolve(new Float32Array([1, 0])),
    close: () => Promise.resolve(),
  };
}

describe('SearchService hybrid fusion', () => {
  const tuned: HybridFusion = { k: 1, weights: { semantic: 1, lexical: 0.5 } };

  it("passes the model's own fusion to the store, else the default", async () => {
    const own = recordingStore();
    await new SearchService({ store: own.store, embedder: embedder(tuned) }).search({
      query: 'parse config',
    });
    expect(own.queries[0]).toMatchObject({ mode: 'hybrid', fusion: tuned });
    const plain = recordingStore();
    await new SearchService({ store: plain.store, embedder: embedder() }).search({ query: 'parse config' });
    expect(plain.queries[0]?.fusion).toEqual(DEFAULT_FUSION);
  });

  it("lets the service's option override the model's", async () => {
    const override: HybridFusion = { k: 10, weights: { semantic: 2, lexical: 1 } };
    const r = recordingStore();
    await new SearchService({ store: r.store, embedder: embedder(tuned), fusion: override }).search({
      query: 'parse config',
    });
    expect(r.queries[0]?.fusion).toEqual(override);
  });
});
