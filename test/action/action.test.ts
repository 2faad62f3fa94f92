/**
 * End-to-end tests of the GitHub Action over a real git repository built here: every run goes
 * through `src/action/index.ts` with a recorded webhook payload (@octokit/webhooks-examples,
 * retargeted to this repository's commits), INPUT_* variables and the runner's output files.
 * After each event the store must hold exactly what a full index of that commit holds.
 *
 * `@actions/cache` is replaced by a folder-backed fake (never the network); `openStore` can be
 * made to fail mid-run to test that a re-run converges. The GitHub compare API is a loopback server.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureSyntheticModel } from '../../scripts/make-synthetic-model.js';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { createChunker } from '../../src/cli/wiring.js';
import { indexTree } from '../../src/core/index-pipeline.js';
import type { Logger } from '../../src/core/ports.js';
import type { FailingMethod } from '../fakes/failing-store.js';
import {
  examplePayload,
  git,
  runAction,
  storeRows,
  storeState,
  writeFile,
  type ActionRun,
} from './action-harness.js';
import { fakeCacheState } from './fake-actions-cache.js';

vi.mock('@actions/cache', () => import('./fake-actions-cache.js'));

/** When set, the next `openStore` returns a store whose `method` fails on call `call`. */
const failHolder = globalThis as { __codeidxFailNextStore?: { method: FailingMethod; call: number } | null };

vi.mock('../../src/cli/wiring.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/cli/wiring.js')>();
  const { failingStore } = await import('../fakes/failing-store.js');
  return {
    ...real,
    openStore: async (...args: Parameters<typeof real.openStore>) => {
      const store = await real.openStore(...args);
      const fail = failHolder.__codeidxFailNextStore;
      if (!fail) return store;
      failHolder.__codeidxFailNextStore = null;
      return failingStore(store, fail.method, fail.call) as unknown as typeof store;
    },
  };
});

const REPO = 'acme/widgets';
const ZERO = '0'.repeat(40);
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let tmp: string;
let work: string;
let storeDir: string;
const lexicalStore = (): string => path.join(storeDir, 'index-lexical.db');

/** A push payload from the recorded examples (a branch push), retargeted. */
function pushPayload(
  ref: string,
  before: string,
  after: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const p = examplePayload('push', (e) => e.ref === 'refs/heads/master');
  const repository = { ...(p.repository as Record<string, unknown>), full_name: REPO, name: 'widgets' };
  return {
    ...p,
    ref,
    before,
    after,
    created: before === ZERO,
    deleted: after === ZERO,
    forced: false,
    repository,
    ...extra,
  };
}

const head = (cwd = work): string => git(cwd, 'rev-parse', 'HEAD');

/** What a full index of the checked-out tree of `cwd` holds for (REPO, ref), by the pipeline directly. */
async function fullIndexRows(ref: string, cwd = work): Promise<string[]> {
  const file = path.join(fs.mkdtempSync(path.join(tmp, 'ref-')), 'index-lexical.db');
  const store = await SqliteVectorStore.open({ path: file, space: null });
  try {
    const reader = await openSourceReader(cwd);
    await indexTree(
      { reader, chunker: createChunker(null, silent), embedder: null, cache: null, store, logger: silent },
      { scope: { repo: REPO, ref }, commit: await reader.headCommit(), planSource: 'scan' },
    );
  } finally {
    await store.close();
  }
  return storeRows(file, REPO, ref);
}

async function expectConverged(ref: string, cwd = work, file = lexicalStore()): Promise<void> {
  const rows = storeRows(file, REPO, ref);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows).toEqual(await fullIndexRows(ref, cwd));
  expect(storeState(file, REPO, ref)).toMatchObject({ commit: head(cwd), status: 'complete' });
}

const lexicalInputs = (extra: Record<string, string> = {}): Record<string, string> => ({
  model: 'none',
  'store-path': storeDir,
  ...extra,
});

function push(
  ref: string,
  before: string,
  after: string,
  extra: Record<string, unknown> = {},
  inputs = lexicalInputs(),
  workspace = work,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction({
    event: 'push',
    payload: pushPayload(ref, before, after, extra),
    inputs,
    workspace,
    tmp,
    env,
  });
}

function expectOk(run: ActionRun): void {
  if (run.failed) throw new Error(`action failed:\n${run.stdout}`);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-action-'));
  work = path.join(tmp, 'work');
  storeDir = path.join(tmp, 'store');
  fs.mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  writeFile(
    work,
    'src/auth.ts',
    'export function verifySignature(secret: string, body: string): boolean {\n  return body.length > 0 && secret.length > 0;\n}\n',
  );
  writeFile(
    work,
    'src/retry.py',
    'def retry(fn, attempts=3):\n    for i in range(attempts):\n        try:\n            return fn()\n        except Exception:\n            pass\n',
  );
  writeFile(work, 'cmd/main.go', 'package main\n\nfunc main() {\n\tserve(":8080")\n}\n');
  writeFile(work, 'README.md', '# Widgets\n\nHow to run the widget server.\n');
  writeFile(work, 'assets/logo.bin', '\u0000\u0001\u0002binary');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'c1');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('codeidx action: push events converge to a full index', () => {
  let last = '';

  it('indexes a new branch (before = zeros) by a content-hash scan, with outputs and a job summary', async () => {
    const run = await push('refs/heads/main', ZERO, head());
    expectOk(run);
    await expectConverged('refs/heads/main');
    expect(run.outputs.commit).toBe(head());
    expect(Number(run.outputs['files-indexed'])).toBe(4);
    expect(run.outputs['chunks-embedded']).toBe('0');
    expect(run.outputs['cache-hit-rate']).toBe('0.0000');
    expect(Number(run.outputs['duration-seconds'])).toBeGreaterThanOrEqual(0);
    expect(run.summary).toContain('<table>');
    expect(run.summary).toContain('Files indexed');
    expect(run.summary).toMatch(/binary<\/td><td>1</);
    expect(run.stdout).toContain('::group::Index acme/widgets refs/heads/main');
    last = head();
  });

  it('indexes a normal push incrementally from the last complete commit', async () => {
    writeFile(
      work,
      'src/auth.ts',
      'export function verifySignature(secret: string, body: string): boolean {\n  return timingSafeEqual(sign(secret, body), body);\n}\n',
    );
    writeFile(work, 'src/new.ts', 'export const answer = 42;\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'c2');
    const run = await push('refs/heads/main', last, head());
    expectOk(run);
    expect(run.outputs['files-indexed']).toBe('2');
    expect(run.summary).toContain('diff (push: incremental');
    await expectConverged('refs/heads/main');
    last = head();
  });

  it('handles a rename', async () => {
    fs.mkdirSync(path.join(work, 'lib'));
    git(work, 'mv', 'src/retry.py', 'lib/retry_utils.py');
    git(work, 'commit', '-qm', 'c3 rename');
    const run = await push('refs/heads/main', last, head());
    expectOk(run);
    expect(run.outputs['files-indexed']).toBe('1');
    // Its chunks were rebuilt from the store under the new path, not chunked again.
    expect(run.summary).toMatch(/Renamed files rebuilt from the store<\/td><td>1</);
    expect(run.stdout).not.toContain('optimized the store'); // a push never compacts
    await expectConverged('refs/heads/main');
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/main').some((r) => r.includes(' src/retry.py '))).toBe(
      false,
    );
    last = head();
  });

  it('handles a deletion', async () => {
    git(work, 'rm', '-q', 'cmd/main.go');
    git(work, 'commit', '-qm', 'c4 delete');
    const run = await push('refs/heads/main', last, head());
    expectOk(run);
    expect(run.outputs['files-indexed']).toBe('0');
    await expectConverged('refs/heads/main');
    last = head();
  });

  it('handles a force push that rewrites history', async () => {
    git(work, 'reset', '-q', '--hard', 'HEAD~2');
    writeFile(work, 'src/forced.ts', 'export function rewritten(): string {\n  return "history";\n}\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'c5 forced');
    const run = await push('refs/heads/main', last, head(), { forced: true });
    expectOk(run);
    expect(run.summary).toContain('force push');
    await expectConverged('refs/heads/main');
    last = head();
  });

  it('after a run that failed mid-write, the next push converges (diffs from the last complete commit, not from before)', async () => {
    writeFile(work, 'src/failed.ts', 'export const failedRun = true;\n');
    writeFile(work, 'README.md', '# Widgets\n\nChanged in the failed run.\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'c6 failed run');
    const failedCommit = head();
    failHolder.__codeidxFailNextStore = { method: 'upsert', call: 1 };
    const failed = await push('refs/heads/main', last, failedCommit);
    expect(failed.failed).toBe(true);
    expect(failed.stdout).toContain('::error::injected upsert failure');
    expect(storeState(lexicalStore(), REPO, 'refs/heads/main')).toMatchObject({
      commit: last,
      status: 'in_progress',
    });

    writeFile(work, 'src/later.ts', 'export const later = 1;\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'c7');
    // `before` is the failed run's commit: following it would skip c6's changes.
    const run = await push('refs/heads/main', failedCommit, head());
    expectOk(run);
    expect(run.outputs['files-indexed']).toBe('3');
    await expectConverged('refs/heads/main');
    last = head();
  });

  it('a store failure in the delete phase leaves the old state and a re-run of the same event converges', async () => {
    git(work, 'rm', '-q', 'src/later.ts');
    writeFile(work, 'src/new.ts', 'export const answer = 43;\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'c8');
    failHolder.__codeidxFailNextStore = { method: 'deleteByPath', call: 1 };
    const failed = await push('refs/heads/main', last, head());
    expect(failed.failed).toBe(true);
    expect(storeState(lexicalStore(), REPO, 'refs/heads/main')?.commit).toBe(last);
    const rerun = await push('refs/heads/main', last, head());
    expectOk(rerun);
    await expectConverged('refs/heads/main');
    last = head();
  });

  it('indexes a new branch from its own scan and drops it on branch deletion (push deleted: true, then a delete event)', async () => {
    git(work, 'checkout', '-q', '-b', 'feature');
    writeFile(work, 'src/feature.ts', 'export function featureFlag(): boolean {\n  return true;\n}\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'feature');
    const run = await push('refs/heads/feature', ZERO, head());
    expectOk(run);
    await expectConverged('refs/heads/feature');
    const mainRows = storeRows(lexicalStore(), REPO, 'refs/heads/main');

    const deleted = await push('refs/heads/feature', head(), ZERO);
    expectOk(deleted);
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/feature')).toEqual([]);
    expect(storeState(lexicalStore(), REPO, 'refs/heads/feature')).toBeNull();
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/main')).toEqual(mainRows);
    expect(deleted.summary).toContain('Dropped the index');

    // The same branch indexed again, then removed by a `delete` event (recorded payload).
    expectOk(await push('refs/heads/feature', ZERO, head()));
    const payload = {
      ...examplePayload('delete', (e) => e.ref_type === 'tag'),
      ref: 'feature',
      ref_type: 'branch',
    };
    const del = await runAction({
      event: 'delete',
      payload,
      inputs: lexicalInputs(),
      workspace: work,
      tmp,
      ref: 'refs/heads/main',
      sha: head(),
    });
    expectOk(del);
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/feature')).toEqual([]);
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/main')).toEqual(mainRows);
    git(work, 'checkout', '-q', 'main');
  });

  it('a scheduled run re-indexes by content hash: nothing re-chunked, orphans pruned', async () => {
    const run = await runAction({
      event: 'schedule',
      payload: { schedule: '0 3 * * *' },
      inputs: lexicalInputs(),
      workspace: work,
      tmp,
      ref: 'refs/heads/main',
      sha: head(),
    });
    expectOk(run);
    expect(run.outputs['files-indexed']).toBe('0');
    expect(run.summary).toContain('scan (schedule');
    // The repair run compacts the embedded store (pushes never do).
    expect(run.stdout).toContain("optimized the store's lexical index");
    await expectConverged('refs/heads/main');
    const full = await runAction({
      event: 'workflow_dispatch',
      payload: examplePayload('workflow_dispatch', (e) => e.ref === 'refs/heads/main'),
      inputs: lexicalInputs({ mode: 'full' }),
      workspace: work,
      tmp,
      sha: head(),
    });
    expectOk(full);
    expect(Number(full.outputs['files-indexed'])).toBeGreaterThan(0);
    await expectConverged('refs/heads/main');
  });
});

describe('codeidx action: base commit missing locally (shallow checkout)', () => {
  let server: http.Server;
  let apiUrl: string;
  const compares: string[] = [];
  let compareBody: Record<string, unknown> = {};

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      compares.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(compareBody));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Commits on `work`'s main, then a depth-1 clone of it (the base is not in the clone's objects). */
  function shallowCloneAfter(change: () => void, name: string): { base: string; clone: string } {
    const base = head();
    change();
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', name);
    const clone = path.join(tmp, name);
    git(tmp, 'clone', '-q', '--depth', '1', '--branch', 'main', `file://${work}`, clone);
    expect(() => git(clone, 'cat-file', '-e', base)).toThrow();
    return { base, clone };
  }

  it('uses the GitHub compare API when the token is given, and converges', async () => {
    const { base, clone } = shallowCloneAfter(() => {
      writeFile(work, 'src/shallow.ts', 'export const shallow = true;\n');
      writeFile(work, 'README.md', '# Widgets\n\nShallow clone edit.\n');
    }, 'shallow-1');
    const after = head(clone);
    compareBody = {
      status: 'ahead',
      files: [
        { filename: 'README.md', status: 'modified' },
        { filename: 'src/shallow.ts', status: 'added' },
      ],
    };
    const run = await push(
      'refs/heads/main',
      base,
      after,
      {},
      lexicalInputs({ 'github-token': 'ghs_test' }),
      clone,
      {
        GITHUB_API_URL: apiUrl,
      },
    );
    expectOk(run);
    expect(compares.at(-1)).toBe(`GET /repos/acme/widgets/compare/${base}...${after} token ghs_test`);
    expect(run.summary).toContain('<td>Plan</td><td>diff');
    expect(run.outputs['files-indexed']).toBe('2');
    // The token is registered as a secret (the runner masks it) and never logged otherwise.
    expect(run.stdout).toContain('::add-mask::ghs_test');
    expect(run.stdout.replace('::add-mask::ghs_test', '')).not.toContain('ghs_test');
    await expectConverged('refs/heads/main', clone);
  });

  it('falls back to a content-hash scan when the compare API cannot tell (diverged) or there is no token', async () => {
    const first = shallowCloneAfter(
      () => writeFile(work, 'src/scan.ts', 'export const scan = 1;\n'),
      'shallow-2',
    );
    compareBody = { status: 'diverged', files: [] };
    const run = await push(
      'refs/heads/main',
      first.base,
      head(first.clone),
      {},
      lexicalInputs({ 'github-token': 'ghs_test' }),
      first.clone,
      {
        GITHUB_API_URL: apiUrl,
      },
    );
    expect(compares).toHaveLength(2);
    expectOk(run);
    expect(run.summary).toContain('<td>Plan</td><td>scan');
    await expectConverged('refs/heads/main', first.clone);

    const second = shallowCloneAfter(
      () => writeFile(work, 'src/scan.ts', 'export const scan = 2;\n'),
      'shallow-3',
    );
    const noToken = await push(
      'refs/heads/main',
      second.base,
      head(second.clone),
      {},
      lexicalInputs(),
      second.clone,
    );
    expectOk(noToken);
    expect(noToken.summary).toContain('<td>Plan</td><td>scan');
    await expectConverged('refs/heads/main', second.clone);
  });
});

describe('codeidx action: bad input', () => {
  it('names the invalid input', async () => {
    const run = await push('refs/heads/main', ZERO, head(), {}, lexicalInputs({ 'batch-size': 'lots' }));
    expect(run.failed).toBe(true);
    expect(run.stdout).toContain('::error::invalid input "batch-size"');
    const shard = await push('refs/heads/main', ZERO, head(), {}, lexicalInputs({ shard: '5/4' }));
    expect(shard.failed).toBe(true);
    expect(shard.stdout).toContain('invalid input "shard"');
    const mode = await push('refs/heads/main', ZERO, head(), {}, lexicalInputs({ mode: 'sometimes' }));
    expect(mode.stdout).toContain('invalid input "mode": must be one of incremental, full');
  });

  it('rejects a payload ref that is not a full ref, leaving the store untouched', async () => {
    const before = storeRows(lexicalStore(), REPO, 'refs/heads/main');
    const run = await push('main', ZERO, head());
    expect(run.failed).toBe(true);
    expect(run.stdout).toContain('not a full ref');
    expect(run.stdout).toContain('`ref` input');
    expect(storeRows(lexicalStore(), REPO, 'refs/heads/main')).toEqual(before);
  });

  it('indexes the checked-out commit with a warning when the payload names commits missing locally', async () => {
    const run = await push('refs/heads/main', 'a'.repeat(40), 'b'.repeat(40));
    expectOk(run);
    expect(run.stdout).toMatch(
      /::warning::the event is about commit bbbbbbbbbbbb but [0-9a-f]{12} is checked out/,
    );
    expect(run.outputs.commit).toBe(head());
    await expectConverged('refs/heads/main');
  });

  it('skips a tag push with a notice', async () => {
    const payload = examplePayload('push', (e) => e.ref === 'refs/tags/simple-tag' && e.deleted === false);
    const run = await runAction({ event: 'push', payload, inputs: lexicalInputs(), workspace: work, tmp });
    expectOk(run);
    expect(run.stdout).toContain('::notice::codeidx: nothing to index');
    expect(run.outputs['files-indexed']).toBe('0');
  });

  it('fails clearly on a repository with no commits', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    git(empty, 'init', '-q', '-b', 'main');
    const run = await push(
      'refs/heads/main',
      ZERO,
      'c'.repeat(40),
      {},
      lexicalInputs({ 'store-path': path.join(tmp, 'empty-store') }),
      empty,
    );
    expect(run.failed).toBe(true);
    expect(run.stdout).toContain('has no commit checked out');
    expect(run.stdout).toContain('actions/checkout');
  });

  it('fails clearly when the workspace is missing', async () => {
    const run = await push('refs/heads/main', ZERO, head(), {}, lexicalInputs({ path: 'no-such-dir' }));
    expect(run.failed).toBe(true);
    expect(run.stdout).toContain('no-such-dir is not a directory');
  });
});

describe('codeidx action: shards and the embedding cache', () => {
  it('a matrix of shards covers every path exactly once without writing the ref state; a finalize run marks it complete', async () => {
    const dir = path.join(tmp, 'shard-store');
    const dispatch = (shard: string) =>
      runAction({
        event: 'workflow_dispatch',
        payload: examplePayload('workflow_dispatch', (e) => e.ref === 'refs/heads/main'),
        inputs: { model: 'none', 'store-path': dir, ...(shard ? { shard } : {}) },
        workspace: work,
        tmp,
        sha: head(),
      });
    const one = await dispatch('1/3');
    const two = await dispatch('2/3');
    const three = await dispatch('3/3');
    for (const r of [one, two, three]) expectOk(r);
    const file = path.join(dir, 'index-lexical.db');
    const sum = [one, two, three].reduce((s, r) => s + Number(r.outputs['files-indexed']), 0);
    const full = await fullIndexRows('refs/heads/main');
    expect(sum).toBe(new Set(full.map((r) => r.split(' ')[1])).size);
    expect(storeRows(file, REPO, 'refs/heads/main')).toEqual(full);
    expect(storeState(file, REPO, 'refs/heads/main')).toBeNull();
    const finalize = await dispatch('');
    expectOk(finalize);
    expect(finalize.outputs['files-indexed']).toBe('0');
    await expectConverged('refs/heads/main', work, file);
  });

  it('persists the embedding cache across runs (a new key per run, restored by prefix); a cache outage is only a warning', async () => {
    const model = ensureSyntheticModel('tiny');
    const state = fakeCacheState();
    const dispatch = (storePath: string) =>
      runAction({
        event: 'workflow_dispatch',
        payload: examplePayload('workflow_dispatch', (e) => e.ref === 'refs/heads/main'),
        inputs: { model, 'store-path': storePath, device: 'cpu', 'cache-restore': 'eager' },
        workspace: work,
        tmp,
        sha: head(),
      });
    const cold = await dispatch(path.join(tmp, 'emb-1'));
    expectOk(cold);
    expect(Number(cold.outputs['chunks-embedded'])).toBeGreaterThan(0);
    expect(cold.outputs['cache-hit-rate']).toBe('0.0000');
    const firstKey = state.saved.at(-1)!;
    // The size suffix is the saved file's KiB: what a lazy run estimates the restore time from.
    expect(firstKey).toMatch(/^codeidx-emb-codeidx_synthetic-tiny_synthetic-v1-refs_heads_main-\d+-1-\d+kib$/);
    expect(Number(/-(\d+)kib$/.exec(firstKey)![1])).toBeGreaterThan(0);

    // A fresh store on another runner: every vector comes from the restored cache.
    const warm = await dispatch(path.join(tmp, 'emb-2'));
    expectOk(warm);
    expect(state.restored.at(-1)).toBe(firstKey);
    expect(warm.outputs['chunks-embedded']).toBe('0');
    expect(warm.outputs['cache-hit-rate']).toBe('1.0000');
    // Nothing new was embedded: the restored cache is not uploaded again.
    expect(state.saved.at(-1)).toBe(firstKey);
    expect(warm.stdout).toContain('embedding cache unchanged (nothing embedded): not saved again');

    state.failRestore = true;
    state.failSave = true;
    try {
      const outage = await dispatch(path.join(tmp, 'emb-3'));
      expectOk(outage);
      expect(outage.stdout).toContain('::warning::embedding cache: cache restore failed');
      expect(outage.stdout).toContain('::warning::embedding cache: cache save failed');
    } finally {
      state.failRestore = false;
      state.failSave = false;
    }
  });

  it('cache-restore lazy (the default) neither looks up nor downloads the cache while embedding costs less than a restore', async () => {
    const model = ensureSyntheticModel('tiny');
    const state = fakeCacheState();
    const dispatch = (storePath: string, extra: Record<string, string> = {}) =>
      runAction({
        event: 'workflow_dispatch',
        payload: examplePayload('workflow_dispatch', (e) => e.ref === 'refs/heads/main'),
        inputs: { model, 'store-path': storePath, device: 'cpu', ...extra },
        workspace: work,
        tmp,
        sha: head(),
      });
    // Seed an entry (eager), as an earlier run would have.
    expectOk(await dispatch(path.join(tmp, 'lazy-seed'), { 'cache-restore': 'eager' }));
    const restoredBefore = state.restored.length;
    const savedBefore = state.saved.length;

    // A fresh store: the tiny model embeds the whole tree in far less than any restore takes (its
    // fixed part, 1 s), so the run does not even look the entry up, downloads nothing, saves nothing.
    const lookedUpBefore = state.lookedUp.length;
    const lazy = await dispatch(path.join(tmp, 'lazy-run'));
    expectOk(lazy);
    expect(state.lookedUp.length).toBe(lookedUpBefore);
    expect(state.restored.length).toBe(restoredBefore);
    expect(state.saved.length).toBe(savedBefore);
    expect(Number(lazy.outputs['chunks-embedded'])).toBeGreaterThan(0);
    expect(lazy.outputs['cache-hit-rate']).toBe('0.0000');
    expect(lazy.stdout).toMatch(/embedding cache not looked up: \d+ texts embedded in \d+ ms, less than any restore takes \(1000 ms\); not saved/);
    // The same points as the eager run built.
    const rowsOf = (dir: string) => storeRows(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.db'))!), REPO, 'refs/heads/main');
    expect(rowsOf(path.join(tmp, 'lazy-run'))).toEqual(rowsOf(path.join(tmp, 'lazy-seed')));
  });
});
