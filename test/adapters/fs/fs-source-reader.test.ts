import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsSourceReader } from '../../../src/adapters/fs/fs-source-reader.js';
import { normalizeTreePath } from '../../../src/adapters/fs/read-tree-file.js';
import { CodeidxError, ConfigError, FileTooLargeError } from '../../../src/core/errors.js';

let base: string;
let root: string;

beforeEach(() => {
  base = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'codeidx-fsr-')));
  root = join(base, 'tree');
  fs.mkdirSync(join(root, 'src'), { recursive: true });
  fs.writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  fs.writeFileSync(join(root, '.gitignore'), 'out/\n');
  fs.writeFileSync(join(base, 'secret.txt'), 'outside');
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('FsSourceReader', () => {
  it('has no commit, no ref and no diff', async () => {
    const reader = await FsSourceReader.open(root);
    expect(reader.root).toBe(root);
    expect(await reader.headCommit()).toBeNull();
    expect(await reader.currentRef()).toBeNull();
    expect(await reader.diff('a', 'b')).toBeNull();
  });

  it('lists with the walker options and reads files', async () => {
    fs.mkdirSync(join(root, 'out'));
    fs.writeFileSync(join(root, 'out', 'x.js'), 'x');
    fs.writeFileSync(join(root, 'src', 'big.ts'), 'x'.repeat(2000));
    const reader = await FsSourceReader.open(root, { maxFileBytes: 1000 });
    const listing = await reader.listFiles();
    expect(listing.files.map((f) => f.path)).toEqual(['.gitignore', 'src/a.ts']);
    expect(listing.skipped).toEqual([
      { path: 'out', reason: 'ignored' },
      { path: 'src/big.ts', reason: 'too-large' },
    ]);
    expect(new TextDecoder().decode(await reader.readFile('src/a.ts'))).toBe('export const a = 1;\n');
    expect(new TextDecoder().decode(await reader.readFile('./src//a.ts'))).toBe('export const a = 1;\n');
  });

  it('lists without sizes on request (no too-large skips), and readFile refuses an oversized file unread', async () => {
    fs.writeFileSync(join(root, 'src', 'big.ts'), 'x'.repeat(2000));
    const reader = await FsSourceReader.open(root, { maxFileBytes: 1000 });
    const listing = await reader.listFiles({ sizes: false });
    expect(listing.files).toEqual([
      { path: '.gitignore', size: -1 },
      { path: 'src/a.ts', size: -1 },
      { path: 'src/big.ts', size: -1 },
    ]);
    expect(listing.skipped).toEqual([]);
    const error = await reader.readFile('src/big.ts').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ path: 'src/big.ts', size: 2000, maxBytes: 1000 });
    expect((error as FileTooLargeError).hint).toMatch(/max-file-size/);
    // At the limit is fine (the limit is inclusive, as in the walker).
    fs.writeFileSync(join(root, 'src', 'big.ts'), 'x'.repeat(1000));
    expect((await reader.readFile('src/big.ts')).byteLength).toBe(1000);
  });

  it('refuses paths that escape the root, lexically or through a symlink', async () => {
    fs.symlinkSync(join(base, 'secret.txt'), join(root, 'link.txt'));
    fs.symlinkSync(base, join(root, 'up'));
    const reader = await FsSourceReader.open(root);
    for (const path of [
      '../secret.txt',
      'src/../../secret.txt',
      join(base, 'secret.txt'),
      '/etc/passwd',
      'link.txt',
      'up/secret.txt',
      '',
      '.',
      'a\0b',
    ]) {
      await expect(reader.readFile(path), path).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it('throws CodeidxError for a missing file or a directory, ConfigError for a missing root', async () => {
    const reader = await FsSourceReader.open(root);
    await expect(reader.readFile('src/missing.ts')).rejects.toBeInstanceOf(CodeidxError);
    await expect(reader.readFile('src')).rejects.toBeInstanceOf(CodeidxError);
    await expect(FsSourceReader.open(join(base, 'nope'))).rejects.toBeInstanceOf(ConfigError);
    await expect(FsSourceReader.open(join(base, 'secret.txt'))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('normalizeTreePath', () => {
  it('normalizes harmless forms and rejects escapes', () => {
    expect(normalizeTreePath('a/./b//c.ts')).toBe('a/b/c.ts');
    expect(normalizeTreePath('a/x/../b.ts')).toBe('a/b.ts');
    expect(() => normalizeTreePath('a/../../b.ts')).toThrow(ConfigError);
    expect(() => normalizeTreePath('C:\\windows\\x')).toThrow(ConfigError);
  });
});
