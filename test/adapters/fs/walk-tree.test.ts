import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import type { FileListing, SkippedPath } from '../../../src/core/ports.js';

// Spy on file reads to prove the walker never opens a file it only has to size.
vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  return { ...original, readFile: vi.fn(original.readFile) };
});
const fsp = await import('node:fs/promises');
const { walkTree, DEFAULT_SKIP_DIRECTORIES } = await import('../../../src/adapters/fs/walk-tree.js');

let root: string;

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'codeidx-walk-')));
  vi.mocked(fsp.readFile).mockClear();
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    fs.mkdirSync(join(root, path, '..'), { recursive: true });
    fs.writeFileSync(join(root, path), content);
  }
}

const paths = (listing: FileListing): string[] => listing.files.map((f) => f.path);
const skipOf = (listing: FileListing, path: string): SkippedPath['reason'] | undefined =>
  listing.skipped.find((s) => s.path === path)?.reason;

describe('walkTree', () => {
  it('lists files with their sizes, sorted, as repo-relative POSIX paths', async () => {
    write({ 'b.ts': 'bb', 'a/z.ts': 'z', 'a/b/c.py': 'ccc', 'A.md': '#' });
    const listing = await walkTree(root);
    expect(listing.files).toEqual([
      { path: 'A.md', size: 1 },
      { path: 'a/b/c.py', size: 3 },
      { path: 'a/z.ts', size: 1 },
      { path: 'b.ts', size: 2 },
    ]);
    expect(listing.skipped).toEqual([]);
  });

  it('skips vendor and tool folders as one skip each, without entering them', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 50; i++) many[`node_modules/pkg${i}/index.js`] = 'x';
    write({
      ...many,
      'packages/app/node_modules/x/y.js': 'x',
      'vendor/lib.go': 'x',
      '__pycache__/a.pyc': 'x',
      'dist/out.js': 'x',
      'src/a.ts': 'x',
      '.git/HEAD': 'ref: x',
    });
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual(['src/a.ts']);
    expect(listing.skipped).toEqual([
      { path: '.git', reason: 'ignored' },
      { path: '__pycache__', reason: 'ignored' },
      { path: 'dist', reason: 'generated' },
      { path: 'node_modules', reason: 'vendored' },
      { path: 'packages/app/node_modules', reason: 'vendored' },
      { path: 'vendor', reason: 'vendored' },
    ]);
  });

  it('lets the caller replace the skipped folder names', async () => {
    write({ 'vendor/a.go': 'x', 'gen/b.go': 'x' });
    const withoutVendor = Object.fromEntries(
      Object.entries(DEFAULT_SKIP_DIRECTORIES).filter(([name]) => name !== 'vendor'),
    );
    const listing = await walkTree(root, { skipDirectories: { ...withoutVendor, gen: 'generated' } });
    expect(paths(listing)).toEqual(['vendor/a.go']);
    expect(skipOf(listing, 'gen')).toBe('generated');
  });

  it('applies nested .gitignore files with negation and git precedence', async () => {
    write({
      '.gitignore': '*.log\nbuild/\nsecret.txt\n',
      'app.log': 'x',
      'build/out.js': 'x',
      'src/.gitignore': '!keep.log\n/local.ts\n',
      'src/keep.log': 'x',
      'src/drop.log': 'x',
      'src/local.ts': 'x',
      'src/deep/local.ts': 'x',
      'src/secret.txt': 'x',
      'src/main.ts': 'x',
    });
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual([
      '.gitignore',
      'src/.gitignore',
      'src/deep/local.ts',
      'src/keep.log',
      'src/main.ts',
    ]);
    expect(listing.skipped).toEqual([
      { path: 'app.log', reason: 'ignored' },
      { path: 'build', reason: 'ignored' },
      { path: 'src/drop.log', reason: 'ignored' },
      { path: 'src/local.ts', reason: 'ignored' },
      { path: 'src/secret.txt', reason: 'ignored' },
    ]);
  });

  it('cannot re-include a file inside an ignored directory, as in git', async () => {
    write({ '.gitignore': 'out/\n!out/keep.ts\n', 'out/keep.ts': 'x', 'out/.gitignore': '!keep.ts\n' });
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual(['.gitignore']);
    expect(skipOf(listing, 'out')).toBe('ignored');
  });

  it('re-includes a file whose parent directory is not ignored, only its siblings', async () => {
    write({ '.gitignore': 'logs/*\n!logs/keep.txt\n', 'logs/keep.txt': 'x', 'logs/a.txt': 'x' });
    expect(paths(await walkTree(root))).toEqual(['.gitignore', 'logs/keep.txt']);
  });

  it('applies .git/info/exclude below every .gitignore, and .git/info/attributes above every .gitattributes', async () => {
    write({
      '.git/info/exclude': '*.tmp\nscratch/\n',
      '.git/info/attributes': '*.gen.ts linguist-generated\n',
      '.gitattributes': '*.gen.ts -linguist-generated\n',
      'a.tmp': 'x',
      'scratch/x.ts': 'x',
      'keep/.gitignore': '!b.tmp\n',
      'keep/b.tmp': 'x',
      'main.ts': 'x',
      'schema.gen.ts': 'x',
    });
    const listing = await walkTree(root, { gitCommonDir: join(root, '.git') });
    expect(paths(listing)).toEqual(['.gitattributes', 'keep/.gitignore', 'keep/b.tmp', 'main.ts']);
    expect(skipOf(listing, 'schema.gen.ts')).toBe('generated');
    expect(skipOf(listing, 'a.tmp')).toBe('ignored');
    expect(skipOf(listing, 'scratch')).toBe('ignored');
    // Without a git dir the exclude file is not consulted.
    expect(paths(await walkTree(root))).toContain('a.tmp');
  });

  it('applies .codeidxignore at any level, after the .gitignore of the same folder', async () => {
    write({
      '.codeidxignore': 'fixtures/\n*.snap\n',
      '.gitignore': 'generated.ts\n',
      'fixtures/big.json': '{}',
      'a.test.ts.snap': 'x',
      'pkg/.codeidxignore': 'legacy.ts\n!generated.ts\n',
      'pkg/legacy.ts': 'x',
      'pkg/generated.ts': 'x',
      'pkg/ok.ts': 'x',
      'generated.ts': 'x',
    });
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual([
      '.codeidxignore',
      '.gitignore',
      'pkg/.codeidxignore',
      'pkg/generated.ts',
      'pkg/ok.ts',
    ]);
    expect(listing.skipped.map((s) => s.path)).toEqual([
      'a.test.ts.snap',
      'fixtures',
      'generated.ts',
      'pkg/legacy.ts',
    ]);
  });

  it('skips linguist-generated and linguist-vendored files from .gitattributes at any level', async () => {
    write({
      '.gitattributes': [
        '# comment',
        '*.pb.go linguist-generated',
        'docs/api/** linguist-generated=true',
        'third-party/** linguist-vendored',
        '/root-only.js linguist-vendored',
        'src/keep.pb.go -linguist-generated',
        'ignored-dir/ linguist-generated',
        '*.txt text eol=lf',
      ].join('\n'),
      'api/x.pb.go': 'x',
      'src/keep.pb.go': 'x',
      'docs/api/ref.md': 'x',
      'docs/guide.md': 'x',
      'third-party/lib/a.c': 'x',
      'third-party/ours/.gitattributes': '* linguist-vendored=false\n',
      'third-party/ours/b.c': 'x',
      'root-only.js': 'x',
      'sub/root-only.js': 'x',
      'ignored-dir/a.ts': 'x',
      'gen/.gitattributes': '*.ts linguist-generated\nhand.ts !linguist-generated\n',
      'gen/out.ts': 'x',
      'gen/hand.ts': 'x',
    });
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual([
      '.gitattributes',
      'docs/guide.md',
      'gen/.gitattributes',
      'gen/hand.ts',
      'ignored-dir/a.ts',
      'src/keep.pb.go',
      'sub/root-only.js',
      'third-party/ours/.gitattributes',
      'third-party/ours/b.c',
    ]);
    expect(listing.skipped).toEqual([
      { path: 'api/x.pb.go', reason: 'generated' },
      { path: 'docs/api/ref.md', reason: 'generated' },
      { path: 'gen/out.ts', reason: 'generated' },
      { path: 'root-only.js', reason: 'vendored' },
      { path: 'third-party/lib/a.c', reason: 'vendored' },
    ]);
  });

  it('skips every symlink (loop, out of the tree, dangling, in the tree) without failing or hanging', async () => {
    const outside = fs.mkdtempSync(join(os.tmpdir(), 'codeidx-outside-'));
    try {
      fs.writeFileSync(join(outside, 'secret.ts'), 'x');
      write({ 'real/a.ts': 'x' });
      fs.symlinkSync('loop-b', join(root, 'loop-a'));
      fs.symlinkSync('loop-a', join(root, 'loop-b'));
      fs.symlinkSync('..', join(root, 'real', 'up')); // directory loop
      fs.symlinkSync(outside, join(root, 'out-dir'));
      fs.symlinkSync(join(outside, 'secret.ts'), join(root, 'out-file.ts'));
      fs.symlinkSync('missing.ts', join(root, 'dangling.ts'));
      fs.symlinkSync('real/a.ts', join(root, 'alias.ts'));
      const listing = await walkTree(root);
      expect(paths(listing)).toEqual(['real/a.ts']);
      expect(listing.skipped).toEqual(
        ['alias.ts', 'dangling.ts', 'loop-a', 'loop-b', 'out-dir', 'out-file.ts', 'real/up'].map((path) => ({
          path,
          reason: 'symlink',
        })),
      );
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reports a 50 MB file as too-large from its size, without reading it', async () => {
    write({ 'small.ts': 'x', '.gitignore': '*.bak\n' });
    const big = join(root, 'huge.sql');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 50 * 1024 * 1024); // sparse: no 50 MB written to disk
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual(['.gitignore', 'small.ts']);
    expect(skipOf(listing, 'huge.sql')).toBe('too-large');
    const readPaths = vi
      .mocked(fsp.readFile)
      .mock.calls.map(([p]) =>
        typeof p === 'string'
          ? p
          : Buffer.isBuffer(p)
            ? p.toString()
            : p instanceof URL
              ? p.pathname
              : '<handle>',
      );
    expect(readPaths.some((p) => p.endsWith('.gitignore'))).toBe(true); // the spy sees reads
    expect(readPaths.some((p) => p.endsWith('huge.sql'))).toBe(false);
  });

  it('honours a custom size limit (bytes, inclusive)', async () => {
    write({ 'ten.ts': '0123456789', 'eleven.ts': '0123456789A' });
    const listing = await walkTree(root, { maxFileBytes: 10 });
    expect(paths(listing)).toEqual(['ten.ts']);
    expect(skipOf(listing, 'eleven.ts')).toBe('too-large');
  });

  it('applies include and exclude globs, pruning excluded folders', async () => {
    write({ 'src/a.ts': 'x', 'src/a.test.ts': 'x', 'src/b.py': 'x', 'docs/x.md': 'x', 'README.md': 'x' });
    const listing = await walkTree(root, {
      include: ['src/**', '*.md'],
      exclude: ['**/*.test.ts', 'docs/**'],
    });
    expect(paths(listing)).toEqual(['README.md', 'src/a.ts', 'src/b.py']);
    expect(listing.skipped).toEqual([
      { path: 'docs', reason: 'ignored' },
      { path: 'src/a.test.ts', reason: 'ignored' },
    ]);
  });

  it('skips a FIFO as unreadable instead of blocking on it', async () => {
    write({ 'a.ts': 'x' });
    execFileSync('mkfifo', [join(root, 'pipe.ts')]);
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual(['a.ts']);
    expect(skipOf(listing, 'pipe.ts')).toBe('unreadable');
  });

  it('skips nested repositories only when asked', async () => {
    write({ 'a.ts': 'x', 'sub/.git': 'gitdir: ../.git/modules/sub\n', 'sub/b.ts': 'x' });
    expect(paths(await walkTree(root))).toEqual(['a.ts', 'sub/b.ts']);
    const listing = await walkTree(root, { skipNestedRepositories: true });
    expect(paths(listing)).toEqual(['a.ts']);
    expect(skipOf(listing, 'sub')).toBe('ignored');
  });

  it('walks a very deep tree (iterative, no stack overflow)', async () => {
    const depth = 200;
    const dir = join(root, ...Array.from({ length: depth }, () => 'd'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, 'leaf.ts'), 'x');
    const listing = await walkTree(root);
    expect(paths(listing)).toEqual([`${'d/'.repeat(depth)}leaf.ts`]);
  });

  it('gives the same listing twice', async () => {
    write({ 'b/1.ts': 'x', 'a/2.ts': 'x', 'c.ts': 'x', '.gitignore': 'a/2.ts\n' });
    expect(await walkTree(root)).toEqual(await walkTree(root));
  });

  it('throws ConfigError for a root that is not a directory', async () => {
    write({ 'file.ts': 'x' });
    await expect(walkTree(join(root, 'file.ts'))).rejects.toBeInstanceOf(ConfigError);
    await expect(walkTree(join(root, 'missing'))).rejects.toBeInstanceOf(ConfigError);
    await expect(walkTree(root, { maxFileBytes: -1 })).rejects.toBeInstanceOf(ConfigError);
  });
});
