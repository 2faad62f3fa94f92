import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changesFromCompare,
  COMPARE_MAX_FILES,
  GithubCompareDiff,
} from '../../../src/adapters/github/github-compare-diff.js';
import type { Logger } from '../../../src/core/ports.js';

describe('changesFromCompare', () => {
  it('maps every file status and sorts by path', () => {
    expect(
      changesFromCompare({
        status: 'ahead',
        files: [
          { filename: 'z.ts', status: 'added' },
          { filename: 'b.ts', status: 'renamed', previous_filename: 'a.ts' },
          { filename: 'c.ts', status: 'removed' },
          { filename: 'd.ts', status: 'modified' },
          { filename: 'e.ts', status: 'changed' },
          { filename: 'f.ts', status: 'copied' },
          { filename: 'g.ts', status: 'unchanged' },
        ],
      }),
    ).toEqual([
      { status: 'renamed', path: 'b.ts', oldPath: 'a.ts' },
      { status: 'deleted', path: 'c.ts' },
      { status: 'modified', path: 'd.ts' },
      { status: 'modified', path: 'e.ts' },
      { status: 'added', path: 'f.ts' },
      { status: 'added', path: 'z.ts' },
    ]);
    expect(changesFromCompare({ status: 'identical', files: [] })).toEqual([]);
  });

  it('answers null when the response is not the base → head change set', () => {
    expect(changesFromCompare({ status: 'diverged', files: [] })).toBeNull();
    expect(changesFromCompare({ status: 'behind', files: [] })).toBeNull();
    const files = Array.from({ length: COMPARE_MAX_FILES }, (_, i) => ({
      filename: `f${i}`,
      status: 'added',
    }));
    expect(changesFromCompare({ status: 'ahead', files })).toBeNull();
  });
});

describe('GithubCompareDiff over HTTP', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: string[] = [];
  let reply: { status: number; body: unknown } = { status: 200, body: {} };
  const warnings: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('requests GET /repos/{owner}/{repo}/compare/{base}...{head} with the token', async () => {
    reply = { status: 200, body: { status: 'ahead', files: [{ filename: 'src/a.ts', status: 'modified' }] } };
    const diff = new GithubCompareDiff({ repo: 'acme/widgets', token: 't0ken', baseUrl, logger });
    expect(await diff.diff('a'.repeat(40), 'b'.repeat(40))).toEqual([
      { status: 'modified', path: 'src/a.ts' },
    ]);
    expect(requests.at(-1)).toBe(
      `GET /repos/acme/widgets/compare/${'a'.repeat(40)}...${'b'.repeat(40)} token t0ken`,
    );
  });

  it('answers null with a warning on an HTTP error (unknown commit, no permission)', async () => {
    reply = { status: 404, body: { message: 'Not Found' } };
    const diff = new GithubCompareDiff({ repo: 'acme/widgets', token: 't0ken', baseUrl, logger });
    expect(await diff.diff('a'.repeat(40), 'b'.repeat(40))).toBeNull();
    expect(warnings.at(-1)).toContain('GitHub compare');
    expect(warnings.at(-1)).toContain('planning by content hash');
  });

  it('rejects a repository name that is not owner/name', () => {
    expect(() => new GithubCompareDiff({ repo: 'widgets', token: 't', baseUrl, logger })).toThrow(
      /owner\/name/,
    );
  });
});
