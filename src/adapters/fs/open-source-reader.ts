/**
 * Picks the `SourceReader` for a tree: `GitSourceReader` when the root has a `.git` entry (a
 * directory, or a `.git` file with `gitdir:` as in linked worktrees and submodules), otherwise
 * `FsSourceReader`. Both list files with the same walker, so the choice changes only whether
 * commits and diffs are available.
 *
 * @module adapters/fs/open-source-reader
 */
import type { SourceReader } from '../../core/ports.js';
import { GitSourceReader } from '../git/git-source-reader.js';
import { FsSourceReader, type SourceReaderOptions } from './fs-source-reader.js';
import { resolveTreeRoot } from './read-tree-file.js';
import { resolveGitDir } from './resolve-git-dir.js';

/**
 * Opens the tree at `root` (relative paths resolve against the current directory).
 * Throws `ConfigError` when `root` does not exist or is not a directory.
 */
export async function openSourceReader(
  root: string,
  options: SourceReaderOptions = {},
): Promise<SourceReader> {
  const { realRoot } = await resolveTreeRoot(root);
  if (await resolveGitDir(realRoot)) return GitSourceReader.open(root, options);
  return FsSourceReader.open(root, options);
}
