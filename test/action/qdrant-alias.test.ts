/**
 * The action against a Qdrant server (the in-process fake, every request validated against Qdrant's
 * OpenAPI document): a model change builds a new collection, and the alias that searches go through
 * moves to it only when `promote-alias` is set, after a complete run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureSyntheticModel } from '../../scripts/make-synthetic-model.js';
import { FakeQdrantServer } from '../adapters/qdrant/qdrant-fake-server.js';
import { examplePayload, runAction, writeFile, type ActionRun } from './action-harness.js';

vi.mock('@actions/cache', () => import('./fake-actions-cache.js'));

let tmp: string;
let work: string;
let qdrant: FakeQdrantServer;
let sha: string;

function dispatch(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    event: 'workflow_dispatch',
    payload: examplePayload('workflow_dispatch', (e) => e.ref === 'refs/heads/main'),
    inputs: { 'qdrant-url': qdrant.url, cache: 'false', ...inputs },
    workspace: work,
    tmp,
    sha,
  });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-action-qdrant-'));
  work = path.join(tmp, 'work');
  fs.mkdirSync(work);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: work });
  writeFile(work, 'src/retry.ts', 'export function retryWithBackoff(n: number): number {\n  return 2 ** n;\n}\n');
  writeFile(work, 'src/sign.py', 'def verify_signature(secret, body, sig):\n    return sig == secret + body\n');
  execFileSync('git', ['add', '-A'], { cwd: work });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init'], { cwd: work });
  sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: work, encoding: 'utf8' }).trim();
  qdrant = await FakeQdrantServer.start();
});

afterAll(async () => {
  await qdrant.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('action with Qdrant: model change and alias promotion', () => {
  it('keeps searches on the old collection until promote-alias moves the alias', async () => {
    const first = await dispatch({ model: 'none' });
    if (first.failed) throw new Error(first.stdout);
    const lexicalCollection = qdrant.aliases.get('codeidx');
    expect(lexicalCollection).toMatch(/lexical/);

    const tiny = ensureSyntheticModel('tiny');
    const second = await dispatch({ model: tiny });
    if (second.failed) throw new Error(second.stdout);
    const collections = [...qdrant.collections.keys()];
    expect(collections.length).toBe(2);
    // A new embedding space got its own collection, but the alias did not move.
    expect(qdrant.aliases.get('codeidx')).toBe(lexicalCollection);

    const promoted = await dispatch({ model: tiny, 'promote-alias': 'true' });
    if (promoted.failed) throw new Error(promoted.stdout);
    const modelCollection = collections.find((c) => c !== lexicalCollection);
    expect(qdrant.aliases.get('codeidx')).toBe(modelCollection);
    expect(promoted.stdout).toContain(`moved from ${lexicalCollection}`);
    expect(qdrant.validationErrors).toEqual([]);
  });

  it('rejects an invalid promote-alias value, naming the input', async () => {
    const run = await dispatch({ model: 'none', 'promote-alias': 'yes' });
    expect(run.failed).toBe(true);
    expect(run.stdout).toContain('invalid input "promote-alias": must be true or false');
  });
});
