import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantVectorStore } from '../../../src/adapters/qdrant/qdrant-vector-store.js';
import type { VectorStore } from '../../../src/core/ports.js';
import type { EmbeddingSpace } from '../../../src/core/types.js';
import { describeVectorStoreConformance } from '../../conformance/vector-store-conformance.js';
import { FakeQdrantServer } from './qdrant-fake-server.js';

let fake: FakeQdrantServer;
let counter = 0;

beforeAll(async () => {
  fake = await FakeQdrantServer.start();
});

afterAll(async () => {
  await fake.close();
  // Every request the adapter sent in this file was valid against Qdrant's OpenAPI document.
  expect(fake.validationErrors).toEqual([]);
  expect(fake.responseErrors).toEqual([]);
});

function storeOf(space: EmbeddingSpace | null): QdrantVectorStore {
  return new QdrantVectorStore({
    url: fake.url,
    space,
    collectionPrefix: `conf${++counter}`,
    retryMinDelayMs: 1,
  });
}

describeVectorStoreConformance(
  'QdrantVectorStore (in-process Qdrant fake)',
  (space) => Promise.resolve(storeOf(space)),
  async (store: VectorStore) => {
    await (store as QdrantVectorStore).drop();
    expect(fake.validationErrors).toEqual([]);
  },
);

describe('fake sanity', () => {
  it('answers', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
