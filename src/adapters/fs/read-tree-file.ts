/**
 * Reads one file of a working tree by repo-relative path, refusing any path that resolves outside
 * the tree — lexically (`../x`, `/etc/passwd`) or through a symbolic link.
 *
 * @module adapters/fs/read-tree-file
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, resolve as resolvePath, sep } from 'node:path';
import { CodeidxError, ConfigError, FileTooLargeError } from '../../core/errors.js';

/**
 * Checks a repo-relative POSIX path and returns it normalized ("a/./b" → "a/b").
 * Throws `ConfigError` for an empty, absolute, NUL-containing or escaping (`..`) path.
 */
export function normalizeTreePath(path: string): string {
  const invalid = (why: string): ConfigError =>
    new ConfigError(`Refusing to read "${path}": ${why}.`, {
      hint: 'Pass a path relative to the repository root, without "..", as listFiles returns it.',
    });
  if (typeof path !== 'string' || path === '') throw invalid('empty path');
  if (path.includes('\0')) throw invalid('NUL byte in path');
  if (isAbsolute(path) || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path))
    throw invalid('absolute path');
  const normalized = posix.normalize(path);
  if (normalized === '..' || normalized.startsWith('../') || normalized === '.')
    throw invalid('outside the tree');
  return normalized.replace(/\/+$/, '');
}

/**
 * Raw bytes of `path` under `realRoot` (the root after `realpath`).
 * Throws `ConfigError` when the path escapes the root (including through a symlink),
 * `FileTooLargeError` when the file is larger than `maxBytes` (checked with `stat`, never read), and
 * `CodeidxError` (fs error as `cause`) when the file is missing, not a regular file or unreadable.
 */
export async function readTreeFile(realRoot: string, path: string, maxBytes = Infinity): Promise<Uint8Array> {
  const rel = normalizeTreePath(path);
  const abs = join(realRoot, ...rel.split('/'));
  let real: string;
  try {
    real = await realpath(abs);
  } catch (error) {
    throw new CodeidxError(`Cannot read ${rel}: ${(error as Error).message}`, {
      hint: 'The file may have been deleted or made unreadable since the tree was listed.',
      cause: error,
    });
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new ConfigError(`Refusing to read "${rel}": it resolves outside the tree (${real}).`, {
      hint: 'Symbolic links out of the repository are never read.',
    });
  }
  try {
    const info = await stat(real);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > maxBytes) throw new FileTooLargeError(rel, info.size, maxBytes);
    return await readFile(real);
  } catch (error) {
    if (error instanceof FileTooLargeError) throw error;
    throw new CodeidxError(`Cannot read ${rel}: ${(error as Error).message}`, {
      hint: 'Only regular files listed by listFiles can be read.',
      cause: error,
    });
  }
}

/**
 * The absolute and real (symlinks resolved) paths of a tree root.
 * Throws `ConfigError` when `root` does not exist or is not a directory.
 */
export async function resolveTreeRoot(root: string): Promise<{ root: string; realRoot: string }> {
  const absolute = resolvePath(root);
  try {
    const realRoot = await realpath(absolute);
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
    return { root: absolute, realRoot };
  } catch (error) {
    throw new ConfigError(`Cannot open source tree ${absolute}: ${(error as Error).message}`, {
      hint: 'Pass the path of an existing directory (the repository checkout).',
      cause: error,
    });
  }
}
