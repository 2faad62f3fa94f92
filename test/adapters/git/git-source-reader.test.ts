import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitSourceReader } from '../../../src/adapters/git/git-source-reader.js';
import { CodeidxError } from '../../../src/core/errors.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: os.tmpdir(),
};

let base: string;
let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8' }).trim();
}

function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    fs.mkdirSync(join(repo, path, '..'), { recursive: true });
    fs.writeFileSync(join(repo, path), content);
  }
}

function commit(message: string): string {
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

beforeEach(() => {
  base = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'codeidx-git-')));
  repo = join(base, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('GitSourceReader', () => {
  it('handles an empty repository (git init, no commits)', async () => {
    const reader = await GitSourceReader.open(repo);
    expect(await reader.headCommit()).toBeNull();
    expect(await reader.currentRef()).toBe('refs/heads/main');
    expect(await reader.listFiles()).toEqual({ files: [], skipped: [{ path: '.git', reason: 'ignored' }] });
    expect(await reader.diff('HEAD', 'HEAD')).toBeNull();
    expect(await reader.resolveCommit('main')).toBeNull();
  });

  it('reports the head commit, the branch, and null when detached', async () => {
    write({ 'a.ts': 'a' });
    const c1 = commit('one');
    const reader = await GitSourceReader.open(repo);
    expect(await reader.headCommit()).toBe(c1);
    expect(await reader.currentRef()).toBe('refs/heads/main');
    git('checkout', '-q', '--detach');
    expect(await reader.headCommit()).toBe(c1);
    expect(await reader.currentRef()).toBeNull();
  });

  it('diffs added, modified, deleted and renamed files across commits', async () => {
    write({
      'a.ts': 'alpha\n',
      'b.ts': 'beta\n',
      'dir/c.ts': 'gamma\n',
      'dir/deep/e.ts': 'eps\n',
      'same/s.ts': 'same\n',
    });
    const c1 = commit('one');
    write({ 'a.ts': 'alpha 2\n', 'd.ts': 'delta\n' });
    fs.rmSync(join(repo, 'b.ts'));
    fs.mkdirSync(join(repo, 'lib'));
    fs.renameSync(join(repo, 'dir', 'c.ts'), join(repo, 'lib', 'c.ts'));
    const c2 = commit('two');
    const reader = await GitSourceReader.open(repo);
    expect(await reader.diff(c1, c2)).toEqual([
      { status: 'modified', path: 'a.ts' },
      { status: 'deleted', path: 'b.ts' },
      { status: 'added', path: 'd.ts' },
      { status: 'renamed', path: 'lib/c.ts', oldPath: 'dir/c.ts' },
    ]);
    expect(await reader.diff(c2, c1)).toEqual([
      { status: 'modified', path: 'a.ts' },
      { status: 'added', path: 'b.ts' },
      { status: 'deleted', path: 'd.ts' },
      { status: 'renamed', path: 'dir/c.ts', oldPath: 'lib/c.ts' },
    ]);
    expect(await reader.diff(c1, c1)).toEqual([]);
    // Refs, annotated tags and abbreviated ids work as well as full ids.
    git('tag', '-a', 'v1', '-m', 'release', c1);
    expect(await reader.resolveCommit('v1')).toBe(c1);
    expect(await reader.diff('refs/tags/v1', 'main')).toHaveLength(4);
    expect(await reader.diff(c1.slice(0, 8), 'main')).toHaveLength(4);
  });

  it('reports a directory replaced by a file, and ignores a mode-only change', async () => {
    write({ 'x/inner.ts': 'i\n', 'run.sh': 'echo\n' });
    const c1 = commit('one');
    fs.rmSync(join(repo, 'x'), { recursive: true });
    write({ x: 'now a file\n' });
    fs.chmodSync(join(repo, 'run.sh'), 0o755);
    const c2 = commit('two');
    expect(await (await GitSourceReader.open(repo)).diff(c1, c2)).toEqual([
      { status: 'added', path: 'x' },
      { status: 'deleted', path: 'x/inner.ts' },
    ]);
  });

  it('reads packed objects (after git gc)', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    write({ 'a.ts': 'two\n' });
    const c2 = commit('two');
    git('gc', '-q');
    expect(await (await GitSourceReader.open(repo)).diff(c1, c2)).toEqual([
      { status: 'modified', path: 'a.ts' },
    ]);
  });

  it('returns null for a base that is not available: unknown id, all zeros, unknown ref, shallow clone', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    write({ 'a.ts': 'two\n' });
    const c2 = commit('two');
    const reader = await GitSourceReader.open(repo);
    expect(await reader.diff('0123456789abcdef0123456789abcdef01234567', c2)).toBeNull();
    expect(await reader.diff('0'.repeat(40), c2)).toBeNull();
    expect(await reader.diff('no-such-branch', c2)).toBeNull();
    expect(await reader.diff(c1, 'ffffffffffffffffffffffffffffffffffffffff')).toBeNull();

    const shallow = join(base, 'shallow');
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow], { env: GIT_ENV });
    const shallowReader = await GitSourceReader.open(shallow);
    expect(await shallowReader.headCommit()).toBe(c2);
    expect(await shallowReader.diff(c1, c2)).toBeNull();
  });

  it('throws instead of returning null when the base is not a commit', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    const blob = git('rev-parse', 'HEAD:a.ts');
    await expect((await GitSourceReader.open(repo)).diff(blob, c1)).rejects.toBeInstanceOf(CodeidxError);
  });

  it('diffs a new branch against the commit it started from', async () => {
    write({ 'a.ts': 'one\n', 'b.ts': 'b\n' });
    const main = commit('one');
    git('checkout', '-q', '-b', 'feature/x');
    write({ 'feature.ts': 'new\n' });
    const feature = commit('feature');
    const reader = await GitSourceReader.open(repo);
    expect(await reader.currentRef()).toBe('refs/heads/feature/x');
    expect(await reader.headCommit()).toBe(feature);
    expect(await reader.diff(main, feature)).toEqual([{ status: 'added', path: 'feature.ts' }]);
    expect(await reader.diff('main', 'HEAD')).toEqual([{ status: 'added', path: 'feature.ts' }]);
  });

  it('lists the working tree: untracked files count, ignored ones and info/exclude do not', async () => {
    write({ '.gitignore': '*.log\n', 'tracked.ts': 'x', 'debug.log': 'x' });
    commit('one');
    write({ 'untracked.ts': 'x', 'local.tmp': 'x', '.git/info/exclude': '*.tmp\n' });
    const listing = await (await GitSourceReader.open(repo)).listFiles();
    expect(listing.files.map((f) => f.path)).toEqual(['.gitignore', 'tracked.ts', 'untracked.ts']);
    expect(listing.skipped.map((s) => `${s.path}:${s.reason}`)).toEqual([
      '.git:ignored',
      'debug.log:ignored',
      'local.tmp:ignored',
    ]);
  });

  it('skips a nested repository in the listing', async () => {
    write({ 'a.ts': 'x' });
    commit('one');
    fs.mkdirSync(join(repo, 'nested'));
    execFileSync('git', ['init', '-q', join(repo, 'nested')]);
    fs.writeFileSync(join(repo, 'nested', 'n.ts'), 'x');
    const listing = await (await GitSourceReader.open(repo)).listFiles();
    expect(listing.files.map((f) => f.path)).toEqual(['a.ts']);
    expect(listing.skipped).toContainEqual({ path: 'nested', reason: 'ignored' });
  });

  it('works in a linked worktree (.git file + commondir)', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    write({ 'a.ts': 'two\n' });
    const c2 = commit('two');
    const worktree = join(base, 'wt');
    git('worktree', 'add', '-q', '-b', 'wt-branch', worktree, c1);
    const reader = await GitSourceReader.open(worktree);
    expect(await reader.headCommit()).toBe(c1);
    expect(await reader.currentRef()).toBe('refs/heads/wt-branch');
    expect(await reader.diff(c1, c2)).toEqual([{ status: 'modified', path: 'a.ts' }]);
    expect((await reader.listFiles()).files.map((f) => f.path)).toEqual(['a.ts']);
  });

  it('refuses to open a directory without .git', async () => {
    await expect(GitSourceReader.open(base)).rejects.toBeInstanceOf(CodeidxError);
  });
});
