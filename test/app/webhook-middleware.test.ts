/**
 * Signed HTTP deliveries to the real webhook middleware (`createWebhookMiddleware` → Probot's
 * `createNodeMiddleware`) on a loopback server: a valid signature runs the App, a bad signature or a
 * truncated body is rejected before any handler runs (no GitHub call, no search).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '@octokit/webhooks-methods';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookMiddleware, DEFAULT_WEBHOOK_PATH } from '../../src/app/create-webhook-middleware.js';
import type { SearchAppDeps } from '../../src/app/create-search-app.js';
import { VectorStoreError } from '../../src/core/errors.js';
import {
  API,
  REPO,
  WEBHOOK_SECRET,
  commentId,
  createTestBackend,
  createTestProbot,
  createdPayload,
  obj,
  type Json,
  type TestBackend,
} from './fixtures.js';

let backend: TestBackend;
let searches: number;

async function listen(deps: SearchAppDeps): Promise<{ url: string; server: Server }> {
  const middleware = await createWebhookMiddleware(createTestProbot(), deps);
  const server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404).end('not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

function countingDeps(): SearchAppDeps {
  return {
    backend: () => ({
      service: {
        search: (request) => {
          searches++;
          return backend.service.search(request);
        },
      },
      store: backend.store,
    }),
  };
}

let server: Server;
let url: string;

beforeAll(async () => {
  backend = await createTestBackend();
  ({ url, server } = await listen(countingDeps()));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await backend.cleanup();
});
beforeEach(() => {
  searches = 0;
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

/** POSTs `body` as a GitHub delivery with the given signature (default: a valid one). */
async function deliver(
  target: string,
  body: string,
  signature?: string,
  path = DEFAULT_WEBHOOK_PATH,
): Promise<Response> {
  return fetch(`${target}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'c0ffee00-0000-4000-8000-000000000001',
      'x-hub-signature-256': signature ?? (await sign(WEBHOOK_SECRET, body)),
    },
    body,
  });
}

function mockSearchReply(payload: Json): { body?: string } {
  const id = commentId(payload);
  const captured: { body?: string } = {};
  nock(API)
    .post(`/repos/${REPO}/issues/comments/${id}/reactions`, { content: 'eyes' })
    .reply(201, { id: 5 })
    .get(`/repos/${REPO}/issues/1/comments`)
    .query(true)
    .reply(200, [])
    .post(`/repos/${REPO}/issues/1/comments`, (b: { body: string }) => {
      captured.body = b.body;
      return true;
    })
    .reply(201, { id: 6 })
    .delete(`/repos/${REPO}/issues/comments/${id}/reactions/5`)
    .reply(204);
  return captured;
}

describe('webhook middleware', () => {
  it('runs the App for a correctly signed delivery and answers 200', async () => {
    const payload = createdPayload('/search parse config');
    const reply = mockSearchReply(payload);
    const response = await deliver(url, JSON.stringify(payload));
    expect(response.status).toBe(200);
    expect(reply.body).toContain('src/config.ts#L10-L12');
    expect(searches).toBe(1);
  });

  it('accepts a signed 65,536-character comment (a friendly reply, no crash)', async () => {
    const payload = createdPayload(`/search ${'y'.repeat(65_536 - 8)}`);
    const captured: { body?: string } = {};
    nock(API)
      .get(`/repos/${REPO}/issues/1/comments`)
      .query(true)
      .reply(200, [])
      .post(`/repos/${REPO}/issues/1/comments`, (b: { body: string }) => {
        captured.body = b.body;
        return true;
      })
      .reply(201, { id: 6 });
    const response = await deliver(url, JSON.stringify(payload));
    expect(response.status).toBe(200);
    expect(captured.body).toContain('characters long');
    expect(searches).toBe(0);
  });

  it('rejects a bad signature before running anything', async () => {
    const body = JSON.stringify(createdPayload('/search parse config'));
    const wrongSecret = await sign('not-the-secret', body);
    for (const signature of [wrongSecret, 'sha256=0000', 'garbage']) {
      const response = await deliver(url, body, signature);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('signature does not match');
    }
    expect(searches).toBe(0);
  });

  it('rejects a truncated body, whether signed for the whole body or for the truncated one', async () => {
    const full = JSON.stringify(createdPayload('/search parse config'));
    const truncated = full.slice(0, Math.floor(full.length / 2));
    const signedForFull = await deliver(url, truncated, await sign(WEBHOOK_SECRET, full));
    expect(signedForFull.status).toBe(400);
    // A valid signature over invalid JSON still never reaches the App.
    const signedTruncated = await deliver(url, truncated);
    expect(signedTruncated.status).toBe(400);
    expect(await signedTruncated.text()).toContain('Invalid JSON');
    expect(searches).toBe(0);
  });

  it('rejects a delivery with no signature header', async () => {
    const response = await fetch(`${url}${DEFAULT_WEBHOOK_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': 'x',
      },
      body: JSON.stringify(createdPayload('/search parse config')),
    });
    expect(response.status).toBe(400);
    expect(searches).toBe(0);
  });

  it('passes other paths to the next handler (the API can share the server)', async () => {
    const response = await fetch(`${url}/v1/search?q=x`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('not found');
  });

  it('answers 500 when the App fails (GitHub shows the failed delivery)', async () => {
    const failing = await listen({
      backend: () => ({
        service: backend.service,
        store: { listStates: () => Promise.reject(new VectorStoreError('down')) },
      }),
    });
    try {
      const payload = createdPayload('/search parse config');
      obj(payload, 'comment').id = 42;
      nock(API)
        .post(`/repos/${REPO}/issues/comments/42/reactions`, { content: 'eyes' })
        .reply(201, { id: 5 })
        .delete(`/repos/${REPO}/issues/comments/42/reactions/5`)
        .reply(204);
      const response = await deliver(failing.url, JSON.stringify(payload));
      expect(response.status).toBe(500);
    } finally {
      await new Promise((resolve) => failing.server.close(resolve));
    }
  });
});
