/**
 * Finds the git directory of a working tree root: `.git` as a directory (a normal clone), or a
 * `.git` file holding `gitdir: <path>` (a submodule or a linked worktree, gitrepository-layout(5)).
 *
 * @module adapters/fs/resolve-git-dir
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/** Where the repository data of a working tree lives. */
export interface GitDirs {
  /** `$GIT_DIR`: HEAD and the per-worktree files. */
  readonly gitDir: string;
  /**
   * `$GIT_COMMON_DIR`: objects, refs, `info/exclude`. Equals `gitDir` except for a linked
   * worktree, whose `gitDir` holds a `commondir` file pointing at the main repository's.
   */
  readonly commonDir: string;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The git directories of `root`, or null when `root` has no `.git` entry (a plain directory) or its
 * `.git` file does not hold a `gitdir:` line. Only `root` itself is examined: a tree nested in a
 * repository is read as a plain directory. Throws the fs error for anything but a missing entry.
 */
export async function resolveGitDir(root: string): Promise<GitDirs | null> {
  const dotGit = join(root, '.git');
  let info;
  try {
    info = await stat(dotGit);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  let gitDir: string;
  if (info.isDirectory()) {
    gitDir = dotGit;
  } else if (info.isFile()) {
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'));
    if (!match?.[1]) return null;
    gitDir = isAbsolute(match[1]) ? match[1] : resolve(root, match[1]);
  } else {
    return null;
  }
  let commonDir = gitDir;
  try {
    const common = (await readFile(join(gitDir, 'commondir'), 'utf8')).trim();
    if (common !== '') commonDir = isAbsolute(common) ? common : resolve(gitDir, common);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  return { gitDir, commonDir };
}
