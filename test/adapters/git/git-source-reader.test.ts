import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitSourceReader, type GitSourceReaderOptions } from '../../../src/adapters/git/git-source-reader.js';
import { CodeidxError } from '../../../src/core/errors.js';
import { GitCliError, parseRawDiff } from '../../../src/adapters/git/git-cli.js';

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

/** Both routes of the reader: the git program first (the default), and isomorphic-git alone. */
const ROUTES: Array<[string, GitSourceReaderOptions]> = [
  ['git program, isomorphic-git fallback', {}],
  ['isomorphic-git only', { gitProgram: false }],
];

describe.each(ROUTES)('GitSourceReader (%s)', (_route, options) => {
  const open = (root: string): Promise<GitSourceReader> => GitSourceReader.open(root, options);

  it('handles an empty repository (git init, no commits)', async () => {
    const reader = await open(repo);
    expect(await reader.headCommit()).toBeNull();
    expect(await reader.currentRef()).toBe('refs/heads/main');
    expect(await reader.listFiles()).toEqual({ files: [], skipped: [{ path: '.git', reason: 'ignored' }] });
    expect(await reader.diff('HEAD', 'HEAD')).toBeNull();
    expect(await reader.resolveCommit('main')).toBeNull();
  });

  it('reports the head commit, the branch, and null when detached', async () => {
    write({ 'a.ts': 'a' });
    const c1 = commit('one');
    const reader = await open(repo);
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
    const reader = await open(repo);
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
    expect(await (await open(repo)).diff(c1, c2)).toEqual([
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
    expect(await (await open(repo)).diff(c1, c2)).toEqual([
      { status: 'modified', path: 'a.ts' },
    ]);
  });

  it('returns null for a base that is not available: unknown id, all zeros, unknown ref, shallow clone', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    write({ 'a.ts': 'two\n' });
    const c2 = commit('two');
    const reader = await open(repo);
    expect(await reader.diff('0123456789abcdef0123456789abcdef01234567', c2)).toBeNull();
    expect(await reader.diff('0'.repeat(40), c2)).toBeNull();
    expect(await reader.diff('no-such-branch', c2)).toBeNull();
    expect(await reader.diff(c1, 'ffffffffffffffffffffffffffffffffffffffff')).toBeNull();

    const shallow = join(base, 'shallow');
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow], { env: GIT_ENV });
    const shallowReader = await open(shallow);
    expect(await shallowReader.headCommit()).toBe(c2);
    expect(await shallowReader.diff(c1, c2)).toBeNull();
  });

  it('throws instead of returning null when the base is not a commit', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    const blob = git('rev-parse', 'HEAD:a.ts');
    await expect((await open(repo)).diff(blob, c1)).rejects.toBeInstanceOf(CodeidxError);
  });

  it('diffs a new branch against the commit it started from', async () => {
    write({ 'a.ts': 'one\n', 'b.ts': 'b\n' });
    const main = commit('one');
    git('checkout', '-q', '-b', 'feature/x');
    write({ 'feature.ts': 'new\n' });
    const feature = commit('feature');
    const reader = await open(repo);
    expect(await reader.currentRef()).toBe('refs/heads/feature/x');
    expect(await reader.headCommit()).toBe(feature);
    expect(await reader.diff(main, feature)).toEqual([{ status: 'added', path: 'feature.ts' }]);
    expect(await reader.diff('main', 'HEAD')).toEqual([{ status: 'added', path: 'feature.ts' }]);
  });

  it('lists the working tree: untracked files count, ignored ones and info/exclude do not', async () => {
    write({ '.gitignore': '*.log\n', 'tracked.ts': 'x', 'debug.log': 'x' });
    commit('one');
    write({ 'untracked.ts': 'x', 'local.tmp': 'x', '.git/info/exclude': '*.tmp\n' });
    const listing = await (await open(repo)).listFiles();
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
    const listing = await (await open(repo)).listFiles();
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
    const reader = await open(worktree);
    expect(await reader.headCommit()).toBe(c1);
    expect(await reader.currentRef()).toBe('refs/heads/wt-branch');
    expect(await reader.diff(c1, c2)).toEqual([{ status: 'modified', path: 'a.ts' }]);
    expect((await reader.listFiles()).files.map((f) => f.path)).toEqual(['a.ts']);
  });

  it('refuses to open a directory without .git', async () => {
    await expect(open(base)).rejects.toBeInstanceOf(CodeidxError);
  });
});

describe('GitSourceReader: the git program and isomorphic-git agree', () => {
  it('answers through the git program when there is one, and through isomorphic-git when not', async () => {
    write({ 'a.ts': 'one\n' });
    const c1 = commit('one');
    write({ 'a.ts': 'two\n' });
    const c2 = commit('two');
    const expected = [{ status: 'modified', path: 'a.ts' }];

    const viaGit = await GitSourceReader.open(repo);
    expect(await viaGit.diff(c1, c2)).toEqual(expected);
    expect(viaGit.cliAnswers).toBe(2); // one cat-file (both commits), one diff-tree

    const isomorphic = await GitSourceReader.open(repo, { gitProgram: false });
    expect(await isomorphic.diff(c1, c2)).toEqual(expected);
    expect(isomorphic.cliAnswers).toBe(0);

    // No such program: isomorphic-git answers, and the program is not tried again.
    const missing = await GitSourceReader.open(repo, { gitProgram: join(base, 'no-such-git') });
    expect(await missing.diff(c1, c2)).toEqual(expected);
    expect(await missing.resolveCommit('main')).toBe(c2);
    expect(missing.cliAnswers).toBe(0);

    // A git that fails (as for a repository it refuses as "dubious ownership"): the same.
    const failing = join(base, 'failing-git');
    fs.writeFileSync(failing, '#!/bin/sh\necho "fatal: detected dubious ownership" >&2\nexit 128\n', { mode: 0o755 });
    const refused = await GitSourceReader.open(repo, { gitProgram: failing });
    expect(await refused.diff(c1, c2)).toEqual(expected);
    expect(await refused.diff('0123456789abcdef0123456789abcdef01234567', c2)).toBeNull();
    expect(refused.cliAnswers).toBe(0);
  });

  it('gives the same changes for every pair of commits of a random history (symlinks, modes, dirs ↔ files, renames)', async () => {
    // A seeded random walk of edits over 9 commits; both routes diff all 72 ordered pairs.
    let seed = 20261201;
    const rand = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const names = ['a.ts', 'b.py', 'dir/c.go', 'dir/deep/d.ts', 'e/f.txt', 'x', 'x/inner.ts', 'link'];
    const commits: string[] = [];
    write({ 'a.ts': 'a0\n', 'dir/c.go': 'c0\n' });
    commits.push(commit('c0'));
    for (let round = 1; round < 9; round++) {
      for (let edit = 0; edit < (round % 3 === 0 ? 0 : 3); edit++) {
        const name = names[rand(names.length)];
        const abs = join(repo, name);
        const op = rand(5);
        // `x` is a file or a folder (holding x/inner.ts) from one commit to the next.
        const xIsFile = fs.existsSync(join(repo, 'x')) && !fs.statSync(join(repo, 'x')).isDirectory();
        if (name === 'x/inner.ts' && xIsFile) fs.rmSync(join(repo, 'x'));
        else fs.rmSync(abs, { recursive: true, force: true });
        if (op === 0) continue; // deleted
        if (name === 'link') {
          fs.symlinkSync(op % 2 ? 'a.ts' : 'dir/c.go', abs);
        } else {
          write({ [name]: `${name} v${rand(3)}\n` }); // often the same content again: renames and no-ops
          if (op === 4) fs.chmodSync(abs, 0o755);
        }
      }
      if (round % 3 === 0) {
        // Only a move in this round: a pure rename.
        const from = names.find((n) => n !== 'link' && fs.existsSync(join(repo, n)) && fs.statSync(join(repo, n)).isFile());
        fs.mkdirSync(join(repo, 'moved'), { recursive: true });
        if (from) fs.renameSync(join(repo, from), join(repo, 'moved', `r${round}-${from.replaceAll('/', '-')}`));
      }
      commits.push(commit(`c${round}`));
    }
    git('gc', '-q'); // half the objects packed, as after a clone
    const viaGit = await GitSourceReader.open(repo);
    const isomorphic = await GitSourceReader.open(repo, { gitProgram: false });
    let nonEmpty = 0;
    const statuses = new Set<string>();
    for (const from of commits) {
      for (const to of commits) {
        if (from === to) continue;
        const expected = await isomorphic.diff(from, to);
        expect(await viaGit.diff(from, to), `${from}..${to}`).toEqual(expected);
        if (expected && expected.length > 0) nonEmpty++;
        for (const change of expected ?? []) statuses.add(change.status);
      }
    }
    expect(nonEmpty).toBeGreaterThan(50);
    expect([...statuses].sort()).toEqual(['added', 'deleted', 'modified', 'renamed']);
    expect(viaGit.cliAnswers).toBeGreaterThan(100);
    expect(isomorphic.cliAnswers).toBe(0);
  });
});

describe('parseRawDiff', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const Z = '0'.repeat(40);
  it('maps blob sides, drops mode-only changes, treats submodules as no blob', () => {
    const raw = [
      `:100644 100644 ${A} ${B} M`, 'src/a b.ts', // a space in a path survives -z
      `:000000 120000 ${Z} ${A} A`, 'link',
      `:100644 100755 ${A} ${A} M`, 'run.sh', // chmod +x only
      `:160000 160000 ${A} ${B} M`, 'vendor/sub', // a submodule moved: no blob on either side
      `:100644 160000 ${A} ${B} T`, 'was-file',
      '',
    ].join('\0');
    expect(parseRawDiff(Buffer.from(raw))).toEqual([
      { path: 'src/a b.ts', before: A, after: B },
      { path: 'link', before: null, after: A },
      { path: 'was-file', before: A, after: null },
    ]);
    expect(parseRawDiff(Buffer.from(''))).toEqual([]);
  });
  it('rejects output of another shape', () => {
    expect(() => parseRawDiff(Buffer.from('fatal: bad object\0x\0'))).toThrow(GitCliError);
    expect(() => parseRawDiff(Buffer.from(`:100644 100644 ${A} ${B} M\0\0`))).toThrow(GitCliError);
  });
});
