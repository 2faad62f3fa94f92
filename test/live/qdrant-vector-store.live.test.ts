/**
 * The `VectorStore` conformance suite against a real Qdrant server, when `QDRANT_URL` is set
 * (`QDRANT_API_KEY` optional), e.g. `docker run -p 6333:6333 qdrant/qdrant:v1.19.0` then
 * `QDRANT_URL=http://localhost:6333 npm run test:live`. Skipped otherwise.
 *
 * Every store uses a fresh collection prefix (`codeidx_live_<run>_<n>`) and is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QdrantVectorStore } from '../../src/adapters/qdrant/qdrant-vector-store.js';
import { VectorStoreError } from '../../src/core/errors.js';
import type { VectorStore } from '../../src/core/ports.js';
import type { EmbeddingSpace } from '../../src/core/types.js';
import {
  CONFORMANCE_SPACE,
  axisVector,
  describeVectorStoreConformance,
  makePoint,
} from '../conformance/vector-store-conformance.js';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY || undefined;
const run = randomBytes(3).toString('hex');
let counter = 0;

function store(
  space: EmbeddingSpace | null,
  extra: { collection?: string; prefix?: string } = {},
): QdrantVectorStore {
  return new QdrantVectorStore({
    url: url ?? 'http://localhost:6333',
    apiKey,
    space,
    collectionPrefix: extra.prefix ?? `codeidx_live_${run}_${++counter}`,
    ...(extra.collection ? { collection: extra.collection } : {}),
    retries: 3,
    retryMinDelayMs: 100,
  });
}

if (url) {
  describeVectorStoreConformance(
    `QdrantVectorStore (live server at ${url})`,
    (space) => Promise.resolve(store(space)),
    (s: VectorStore) => (s as QdrantVectorStore).drop(),
  );

  describe('QdrantVectorStore live specifics', () => {
    it('refuses an existing collection with another vector size and promotes an alias atomically', async () => {
      const prefix = `codeidx_live_${run}_alias`;
      const v1 = store(CONFORMANCE_SPACE, { prefix });
      const v2 = store({ ...CONFORMANCE_SPACE, revision: 'v2' }, { prefix });
      try {
        await v1.init();
        await v1.upsert([makePoint({ path: 'a.ts', text: 'old', vector: axisVector(1) })]);
        const other = store(
          { modelId: 'other/model', revision: 'v1', dims: 16 },
          { collection: v1.collectionName, prefix },
        );
        await expect(other.init()).rejects.toBeInstanceOf(VectorStoreError);
        expect(await v1.count()).toBe(1);

        await v2.init();
        await v2.upsert([makePoint({ path: 'b.ts', text: 'new', vector: axisVector(1) })]);
        expect((await v2.promoteAlias({ force: true })).previous).toBe(v1.collectionName);
        const [hit] = await v2.query({
          text: 'new',
          vector: axisVector(1),
          mode: 'hybrid',
          k: 1,
          filter: {},
        });
        expect(hit?.path).toBe('b.ts');
      } finally {
        await v1.drop();
        await v2.drop();
      }
    });
  });
} else {
  describe('QdrantVectorStore live suite', () => {
    it.skip('needs QDRANT_URL (e.g. http://localhost:6333) to run against a real Qdrant server', () => {});
  });
}
