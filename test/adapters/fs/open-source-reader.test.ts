import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsSourceReader } from '../../../src/adapters/fs/fs-source-reader.js';
import { openSourceReader } from '../../../src/adapters/fs/open-source-reader.js';
import { GitSourceReader } from '../../../src/adapters/git/git-source-reader.js';
import { ConfigError } from '../../../src/core/errors.js';

let base: string;
beforeEach(() => {
  base = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'codeidx-open-')));
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('openSourceReader', () => {
  it('opens a plain directory with FsSourceReader', async () => {
    expect(await openSourceReader(base)).toBeInstanceOf(FsSourceReader);
  });

  it('opens a git repository with GitSourceReader', async () => {
    execFileSync('git', ['init', '-q', base]);
    expect(await openSourceReader(base)).toBeInstanceOf(GitSourceReader);
  });

  it('follows a .git file (submodule or worktree layout) to its git dir', async () => {
    const tree = join(base, 'tree');
    fs.mkdirSync(tree);
    execFileSync('git', ['init', '-q', '--separate-git-dir', join(base, 'gitdir'), tree]);
    expect(fs.statSync(join(tree, '.git')).isFile()).toBe(true);
    const reader = await openSourceReader(tree);
    expect(reader).toBeInstanceOf(GitSourceReader);
    expect(await reader.headCommit()).toBeNull();
  });

  it('throws ConfigError for a missing root or a file', async () => {
    fs.writeFileSync(join(base, 'f'), 'x');
    await expect(openSourceReader(join(base, 'missing'))).rejects.toBeInstanceOf(ConfigError);
    await expect(openSourceReader(join(base, 'f'))).rejects.toBeInstanceOf(ConfigError);
  });
});
