/**
 * The `/search` App end to end through `probot.receive` with recorded `issue_comment` payloads, a real
 * SQLite store, and every GitHub call answered (and asserted) by nock. Network is otherwise blocked.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SearchAppDeps, SearchBackend } from '../../src/app/create-search-app.js';
import { MARKER_PREFIX, replyMarker } from '../../src/app/render-reply.js';
import { VectorStoreError } from '../../src/core/errors.js';
import { SearchService } from '../../src/core/search-service.js';
import {
  API,
  COMMIT_FEATURE,
  COMMIT_MASTER,
  OTHER_REPO,
  OTHER_TENANT_MARKER,
  REPO,
  asEvent,
  asPullRequest,
  commentId,
  createTestBackend,
  createdPayload,
  editedPayload,
  inRepository,
  loadApp,
  obj,
  type Json,
  type TestBackend,
} from './fixtures.js';

let backend: TestBackend;
let listStatesCalls: string[];
let searchCalls: number;

/** Deps over the real store, counting calls so tests can prove nothing was searched. */
function deps(extra: Partial<SearchAppDeps> = {}): SearchAppDeps {
  const counted: SearchBackend = {
    service: {
      search: (request) => {
        searchCalls++;
        return backend.service.search(request);
      },
    },
    store: {
      listStates: (repo) => {
        listStatesCalls.push(repo ?? '*');
        return backend.store.listStates(repo);
      },
    },
  };
  return { backend: () => counted, ...extra };
}

beforeAll(async () => {
  backend = await createTestBackend();
});
afterAll(async () => {
  await backend.cleanup();
});
beforeEach(() => {
  listStatesCalls = [];
  searchCalls = 0;
  nock.disableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

/** Captured request body of a comment write. */
interface Captured {
  body?: string;
}

function github(): nock.Scope {
  return nock(API);
}

function mockEyes(payload: Json, repo = REPO): void {
  const id = commentId(payload);
  github()
    .post(`/repos/${repo}/issues/comments/${id}/reactions`, { content: 'eyes' })
    .reply(201, { id: 77, content: 'eyes' })
    .delete(`/repos/${repo}/issues/comments/${id}/reactions/77`)
    .reply(204);
}

function mockList(payload: Json, comments: Json[] = [], repo = REPO): void {
  const since = obj(payload, 'comment').created_at as string;
  github().get(`/repos/${repo}/issues/1/comments`).query({ since, per_page: '100' }).reply(200, comments);
}

function mockCreate(repo = REPO): Captured {
  const captured: Captured = {};
  github()
    .post(`/repos/${repo}/issues/1/comments`, (b: { body: string }) => {
      captured.body = b.body;
      return true;
    })
    .reply(201, { id: 999 });
  return captured;
}

/** Expects 👀, the reply lookup, and a new reply; returns the reply body holder. */
function mockSearchReply(payload: Json, repo = REPO): Captured {
  mockEyes(payload, repo);
  mockList(payload, [], repo);
  return mockCreate(repo);
}

/**
 * Counts `<details>` and `</details>` lines outside fenced code blocks, by the GFM rule: a fence of
 * n ≥ 3 backticks is closed only by a line of at least n backticks and nothing else (§4.5).
 */
function tagsOutsideFences(body: string): { open: number; close: number } {
  let fence = 0;
  const counts = { open: 0, close: 0 };
  for (const line of body.split('\n')) {
    const run = /^(`{3,})(.*)$/.exec(line);
    if (fence > 0) {
      if (run && run[1].length >= fence && run[2].trim() === '') fence = 0;
      continue;
    }
    if (run) fence = run[1].length;
    else if (line.startsWith('<details>')) counts.open++;
    else if (line === '</details>') counts.close++;
  }
  return counts;
}

/** Rows of the results table (lines starting with "| <rank> |"). */
function tableRows(body: string): string[] {
  return body.split('\n').filter((l) => /^\| \d+ \|/.test(l));
}

describe('issue_comment.created', () => {
  it('answers /search with a table linked at the indexed commit, collapsed snippets and the marker; 👀 comes and goes', async () => {
    const payload = createdPayload('/search parse config');
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));

    const body = reply.body!;
    expect(body.startsWith(replyMarker(commentId(payload)))).toBe(true);
    expect(body).toContain('for `parse config` in `master`');
    expect(body).toContain(
      `[\`${COMMIT_MASTER.slice(0, 7)}\`](https://github.com/${REPO}/commit/${COMMIT_MASTER})`,
    );
    const rows = tableRows(body);
    expect(rows.length).toBe(5); // default k
    expect(body).toContain(
      `[\`src/config.ts#L10-L12\`](https://github.com/${REPO}/blob/${COMMIT_MASTER}/src/config.ts#L10-L12) | \`parseConfig\``,
    );
    expect(body.match(/<details>/g)?.length).toBe(5);
    expect(listStatesCalls).toEqual([REPO]);
    expect(body).not.toContain(OTHER_TENANT_MARKER);
  });

  it('finds the command on its own line after other text, with a quoted query and flags', async () => {
    const payload = createdPayload(
      'Thanks for the review!\r\n\r\nLet me look for callers:\r\n/search "parse config" --path src/ --lang ts --k 1\r\n\r\ncheers',
    );
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    const rows = tableRows(reply.body!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('src/config.ts');
    expect(reply.body).toContain('path `src`');
    expect(reply.body).toContain('lang `typescript`');
  });

  it('does not run a /search quoted from another comment or shown in a code block', async () => {
    const payload = createdPayload('> /search parse config\n\n```\n/search parse config\n```\nI agree');
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload)); // any GitHub call would fail: no interceptor, network off
    expect(listStatesCalls).toEqual([]);
  });

  it('answers /search help with the syntax, without searching', async () => {
    const payload = createdPayload('/search help');
    mockList(payload);
    const reply = mockCreate();
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('/search <query> [--path <folder>]');
    expect(reply.body).toContain('--mode lexical');
    expect(listStatesCalls).toEqual([]);
  });

  it('replies to an empty query (and to options without a query) with how to write one', async () => {
    for (const text of ['/search', '/search   ', '/search --k 3 --path src/']) {
      const payload = createdPayload(text);
      mockList(payload);
      const reply = mockCreate();
      const probot = await loadApp(deps());
      await probot.receive(asEvent(payload));
      expect(reply.body).toContain('the query is empty');
    }
    expect(searchCalls).toBe(0);
  });

  it('replies to bad options: unknown flag, k out of range, unknown mode', async () => {
    const cases: Array<[string, string]> = [
      ['/search foo --verbose', 'unknown option `--verbose`'],
      ['/search foo --k 500', '`--k` must be a whole number from 1 to 20'],
      ['/search foo --mode fuzzy', '`--mode` must be one of hybrid, semantic, lexical'],
      ['/search foo --path ../../etc', '`--path` must be a folder or file of this repository'],
    ];
    for (const [text, expected] of cases) {
      const payload = createdPayload(text);
      mockList(payload);
      const reply = mockCreate();
      const probot = await loadApp(deps());
      await probot.receive(asEvent(payload));
      expect(reply.body).toContain(expected);
    }
    expect(searchCalls).toBe(0);
  });

  it('answers a repository that is not indexed with the workflow to add', async () => {
    const payload = inRepository(createdPayload('/search parse config'), 'Codertocat/not-indexed');
    const reply = mockSearchReply(payload, 'Codertocat/not-indexed');
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('has no index of `Codertocat/not-indexed`');
    expect(reply.body).toContain('uses: org/codeidx@v1');
    expect(searchCalls).toBe(0);
  });

  it('runs FTS5 syntax in a query as plain words (no crash, no error reply)', async () => {
    const queries = [
      '/search "parse" AND config* NEAR(a b) OR -x ^col: {a b}',
      '/search parse" config',
      "/search don't parse config's",
      '/search parse\u0000config',
    ];
    for (const text of queries) {
      const payload = createdPayload(text);
      const reply = mockSearchReply(payload);
      const probot = await loadApp(deps());
      await probot.receive(asEvent(payload));
      expect(reply.body).toMatch(/🔎 \*\*\d+ results?\*\*/);
    }
    // Punctuation only: a reply that says what is wrong, not arbitrary results.
    const payload = createdPayload('/search ( ) * " :');
    const reply = mockSearchReply(payload);
    await (await loadApp(deps())).receive(asEvent(payload));
    expect(reply.body).toMatch(/no letters or digits/);
  });

  it('keeps snippets that contain ``` and </details> inside their code block', async () => {
    const payload = createdPayload('/search renderReadme --k 20 --mode lexical');
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    const body = reply.body!;
    const start = body.indexOf('````typescript\nexport function renderReadme');
    expect(start).toBeGreaterThan(0);
    // The 4-backtick fence is closed only by the 4-backtick line after the snippet.
    const end = body.indexOf('\n````\n', start);
    expect(body.slice(start, end)).toContain('```ts\nparseConfig("x")\n```\n</details>');
    expect(tagsOutsideFences(body)).toEqual({ open: 1, close: 1 });
  });

  it('replies kindly to a 65,536-character comment, without echoing it', async () => {
    const huge = `/search ${'x'.repeat(65_536 - 8)}`;
    expect(huge).toHaveLength(65_536);
    const payload = createdPayload(huge);
    mockList(payload);
    const reply = mockCreate();
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('65,528 characters long');
    expect(reply.body!.length).toBeLessThan(1_000);
    expect(searchCalls).toBe(0);
  });

  it('ignores a 65,536-character comment with no command, and finds a command at its very end', async () => {
    const probot = await loadApp(deps());
    await probot.receive(asEvent(createdPayload('a '.repeat(32_768))));
    expect(listStatesCalls).toEqual([]);

    const tail = '\n/search parse config';
    const payload = createdPayload(`${'b'.repeat(65_536 - tail.length)}${tail}`);
    const reply = mockSearchReply(payload);
    await probot.receive(asEvent(payload));
    expect(tableRows(reply.body!).length).toBeGreaterThan(0);
  });

  it('ignores comments from bots and its own replies (no GitHub call at all)', async () => {
    const probot = await loadApp(deps());
    const fromBot = createdPayload('/search parse config');
    obj(fromBot, 'sender').type = 'Bot';
    obj(fromBot, 'sender').login = 'dependabot[bot]';
    await probot.receive(asEvent(fromBot));

    const own = createdPayload(`${replyMarker(123)}\n/search parse config`);
    obj(own, 'sender').type = 'Bot';
    obj(own, 'sender').login = 'codeidx[bot]';
    obj(obj(own, 'comment'), 'user').type = 'Bot';
    await probot.receive(asEvent(own));

    // Even when posted with a user token (sender is a User), a body carrying the marker is ours.
    const ownAsUser = createdPayload(`${replyMarker(123)}\n/search parse config`);
    await probot.receive(asEvent(ownAsUser));
    expect(listStatesCalls).toEqual([]);
  });
});

describe('tenant isolation', () => {
  it('refuses flags that name another repository or ref', async () => {
    for (const text of [
      '/search parseConfig --repo evil/secret',
      '/search parseConfig --repository=evil/secret',
      '/search parseConfig --ref main',
      '/search parseConfig --branch dev',
    ]) {
      const payload = createdPayload(text);
      mockList(payload);
      const reply = mockCreate();
      const probot = await loadApp(deps());
      await probot.receive(asEvent(payload));
      expect(reply.body).toContain('searches only this repository');
    }
    expect(searchCalls).toBe(0);
  });

  it("never returns another tenant's code, whatever the query says", async () => {
    for (const text of [
      `/search parseConfig ${OTHER_TENANT_MARKER} repo:evil/secret --k 20`,
      `/search "${OTHER_REPO}" parseConfig --k 20 --mode lexical`,
    ]) {
      const payload = createdPayload(text);
      const reply = mockSearchReply(payload);
      const probot = await loadApp(deps());
      await probot.receive(asEvent(payload));
      const body = reply.body!;
      const rows = tableRows(body);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row).toContain(`https://github.com/${REPO}/blob/`);
      // The marker appears only in the echoed query of the header, never in a snippet.
      const snippets = body.slice(body.indexOf('<details>'));
      expect(snippets).not.toContain(OTHER_TENANT_MARKER);
      expect(snippets).not.toContain(OTHER_REPO);
    }
  });

  it('a delivery from the other tenant sees only its own code', async () => {
    const payload = inRepository(createdPayload('/search parseConfig'), OTHER_REPO);
    const reply = mockSearchReply(payload, OTHER_REPO);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    const rows = tableRows(reply.body!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(`https://github.com/${OTHER_REPO}/blob/`);
    expect(listStatesCalls).toEqual([OTHER_REPO]);
  });
});

describe('pull requests', () => {
  function mockPull(head: { ref: string; repo: string }, base = 'master'): void {
    github()
      .get(`/repos/${REPO}/pulls/1`)
      .reply(200, {
        number: 1,
        head: { ref: head.ref, repo: { full_name: head.repo } },
        base: { ref: base, repo: { full_name: REPO } },
      });
  }

  it('searches the head branch when it is indexed and in the same repository', async () => {
    const payload = asPullRequest(createdPayload('/search parseConfigV2 --mode lexical'));
    mockPull({ ref: 'feature', repo: REPO });
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('in `feature`');
    expect(reply.body).toContain(`/blob/${COMMIT_FEATURE}/src/config.ts#L10-L12`);
  });

  it('searches the base branch for a pull request from a fork, even when a same-named branch is indexed', async () => {
    const payload = asPullRequest(createdPayload('/search parseConfigV2 --mode lexical'));
    mockPull({ ref: 'feature', repo: 'someone/Hello-World' });
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('in `master`');
    expect(reply.body).not.toContain(COMMIT_FEATURE);
  });

  it('falls back to the default branch, saying so, when neither PR branch is indexed', async () => {
    const payload = asPullRequest(createdPayload('/search parse config'));
    mockPull({ ref: 'topic', repo: REPO }, 'release');
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('in `master`');
    expect(reply.body).toContain('The branches of this pull request are not indexed');
  });

  it('says which refs are indexed when none it may search is', async () => {
    const payload = inRepository(createdPayload('/search parseConfig'), OTHER_REPO);
    // evil/secret is indexed at master only; this delivery says its default branch is "trunk".
    obj(payload, 'repository').default_branch = 'trunk';
    const reply = mockSearchReply(payload, OTHER_REPO);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('has not indexed `trunk`');
    expect(reply.body).toContain('Indexed: `master`');
  });
});

describe('issue_comment.edited', () => {
  it('updates its earlier reply, found by the hidden marker, and not a forged one', async () => {
    const payload = editedPayload('/search retry backoff', '/search parse config');
    const id = commentId(payload);
    mockEyes(payload);
    mockList(payload, [
      { id: 500, body: `${replyMarker(id)}\nforged`, user: { login: 'mallory', type: 'User' } },
      { id: 501, body: `${MARKER_PREFIX}${id}1 -->`, user: { login: 'codeidx[bot]', type: 'Bot' } }, // marker of another id
      { id: 502, body: `${replyMarker(id)}\nold results`, user: { login: 'codeidx[bot]', type: 'Bot' } },
    ]);
    const updated: Captured = {};
    github()
      .patch(`/repos/${REPO}/issues/comments/502`, (b: { body: string }) => {
        updated.body = b.body;
        return true;
      })
      .reply(200, { id: 502 });
    const probot = await loadApp(deps({ botLogin: 'codeidx[bot]' }));
    await probot.receive(asEvent(payload));
    expect(updated.body).toContain('for `retry backoff`');
    expect(tableRows(updated.body!)[0]).toContain('src/retry.ts');
  });

  it('posts a new reply when no earlier reply exists', async () => {
    const payload = editedPayload('Sorry, I meant:\n/search retry', 'no command here');
    const reply = mockSearchReply(payload);
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain(MARKER_PREFIX);
  });

  it('does nothing when the edit leaves the command unchanged', async () => {
    const payload = editedPayload('typo fixed\n/search parse config', 'tpyo\n/search parse config');
    const probot = await loadApp(deps());
    await probot.receive(asEvent(payload));
    expect(listStatesCalls).toEqual([]);
  });
});

describe('rate limit', () => {
  it('allows `limit` searches per window and repository, then reacts 😕 without replying', async () => {
    let now = 1_000_000;
    const probot = await loadApp(deps({ rateLimit: { limit: 2, windowMs: 60_000 }, now: () => now }));
    for (let i = 0; i < 2; i++) {
      const payload = createdPayload('/search parse config');
      mockSearchReply(payload);
      await probot.receive(asEvent(payload, `d${i}`));
    }
    const limited = createdPayload('/search parse config');
    github()
      .post(`/repos/${REPO}/issues/comments/${commentId(limited)}/reactions`, { content: 'confused' })
      .reply(201, { id: 78, content: 'confused' });
    await probot.receive(asEvent(limited, 'd2'));
    expect(searchCalls).toBe(2);

    // Another repository has its own budget.
    const other = inRepository(createdPayload('/search parse config'), OTHER_REPO);
    mockSearchReply(other, OTHER_REPO);
    await probot.receive(asEvent(other, 'd3'));

    // Help is never limited.
    const help = createdPayload('/search help');
    mockList(help);
    mockCreate();
    await probot.receive(asEvent(help, 'd4'));

    now += 60_000;
    const later = createdPayload('/search parse config');
    mockSearchReply(later);
    await probot.receive(asEvent(later, 'd5'));
    expect(searchCalls).toBe(4);
  });
});

describe('errors', () => {
  it('rethrows a store failure to Probot (no reply), after removing 👀', async () => {
    const payload = createdPayload('/search parse config');
    mockEyes(payload);
    const failing: SearchAppDeps = {
      backend: () => ({
        service: backend.service,
        store: { listStates: () => Promise.reject(new VectorStoreError('store unreachable')) },
      }),
    };
    const probot = await loadApp(failing);
    await expect(probot.receive(asEvent(payload))).rejects.toThrow(/store unreachable/);
  });

  it('rethrows a GitHub API failure', async () => {
    const payload = createdPayload('/search parse config');
    mockEyes(payload);
    mockList(payload);
    github().post(`/repos/${REPO}/issues/1/comments`).reply(500, { message: 'boom' });
    const probot = await loadApp(deps());
    await expect(probot.receive(asEvent(payload))).rejects.toThrow();
  });

  it('answers a semantic search on a lexical-only index with the core error as a user mistake', async () => {
    const payload = createdPayload('/search parse config --mode semantic');
    const lexicalOnly: SearchAppDeps = {
      backend: () => ({
        service: new SearchService({ store: backend.store, embedder: null }),
        store: backend.store,
      }),
    };
    const reply = mockSearchReply(payload);
    const probot = await loadApp(lexicalOnly);
    await probot.receive(asEvent(payload));
    expect(reply.body).toContain('semantic search needs an embedding model');
  });
});
