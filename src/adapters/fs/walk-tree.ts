/**
 * The file walker shared by `FsSourceReader` and `GitSourceReader`: lists the candidate files of a
 * working tree from directory entries and `lstat` alone (no file is opened, except the rule files
 * `.gitignore`, `.codeidxignore` and `.gitattributes`), and counts every path it passes over with
 * its `SkipReason`.
 *
 * Rules, in the order they are applied to an entry:
 * 1. `.git` (directory or file) is always skipped ('ignored').
 * 2. Symbolic links are skipped ('symlink'), whatever they point to. Git stores a link, not its
 *    target; a target inside the tree is indexed under its own path, so following links would only
 *    add duplicates — and could escape the root or loop. No link is ever followed, so a link loop,
 *    a dangling link or a link out of the tree can neither fail nor hang the walk.
 * 3. Entries that are neither regular files nor directories (FIFOs, sockets, devices) are skipped
 *    ('unreadable'): reading a FIFO would block forever.
 * 4. Directories named in `skipDirectories` (default `DEFAULT_SKIP_DIRECTORIES`) are skipped with
 *    their reason, as one skip: the walk never enters them.
 * 5. Ignore rules, with git's precedence (gitignore(5)): patterns of a deeper `.gitignore` override
 *    a shallower one, the last matching line of a file wins (negations included), and
 *    `$GIT_COMMON_DIR/info/exclude` comes below every `.gitignore`. A `.codeidxignore` (gitignore
 *    syntax, any level) is read after the `.gitignore` of the same directory, so it can both add
 *    patterns and re-include (`!path`) what that `.gitignore` excluded. As in git, nothing inside an
 *    ignored directory can be re-included, and an ignored directory is one 'ignored' skip.
 *    The user's global `core.excludesFile` is not read: the listing must not depend on the machine.
 *    Matching by the `ignore` package (case-sensitive, as git on Linux).
 * 6. `exclude` globs (picomatch, dot files included) skip a matching directory or file
 *    ('ignored'); when `include` globs are given, a file must match one of them ('ignored' if not).
 * 7. `.gitattributes` `linguist-vendored` / `linguist-generated` (see `LinguistAttributes`):
 *    'vendored' / 'generated'.
 * 8. A file larger than `maxFileBytes` (from `lstat`, never read) is skipped ('too-large'), unless
 *    `statSizes` is false (then the reader checks the size when the file is read).
 *
 * Nested repositories (a sub-directory holding its own `.git`, e.g. a checked-out submodule) are
 * skipped ('ignored') when `skipNestedRepositories` is set: git does not track their content.
 *
 * The walk is iterative (an explicit stack), so depth is bounded by memory, not the call stack.
 * Directory reads and `lstat` calls are synchronous: one promise per file made the walk of the
 * benchmark's 10,000-file tree take ~450 ms against ~230 ms (fresh process each, 5 alternating runs);
 * it blocks the event loop for that long, which only the indexing entry points (CLI, action) do.
 * Output is sorted by path (UTF-16 code unit order), so two walks of one tree are identical.
 *
 * @module adapters/fs/walk-tree
 */
import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { ConfigError } from '../../core/errors.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../core/file-filter.js';
import type { FileEntry, FileListing, SkippedPath } from '../../core/ports.js';
import type { SkipReason } from '../../core/types.js';
import { LinguistAttributes } from './linguist-attributes.js';

/**
 * Folders skipped by name at any depth, with the reason counted. Chosen after GitHub Linguist's
 * `vendor.yml` and the usual tool caches:
 * - dependencies ('vendored'): node_modules, bower_components, jspm_packages, vendor, third_party,
 *   Pods, .venv, venv;
 * - other VCS and tool caches ('ignored'): .hg, .svn, .bzr, __pycache__, .mypy_cache,
 *   .pytest_cache, .ruff_cache, .tox, .gradle, .next, .nuxt, .turbo, .parcel-cache;
 * - build output ('generated'): dist — a committed `dist/` is a bundle (e.g. a JavaScript action).
 * `build`, `out` and `target` are not in the list: many repositories keep build scripts or sources
 * there (e.g. `build/` in VS Code), and when they are output they are git-ignored anyway.
 */
export const DEFAULT_SKIP_DIRECTORIES: Readonly<Record<string, SkipReason>> = Object.freeze({
  node_modules: 'vendored',
  bower_components: 'vendored',
  jspm_packages: 'vendored',
  vendor: 'vendored',
  third_party: 'vendored',
  Pods: 'vendored',
  '.venv': 'vendored',
  venv: 'vendored',
  '.hg': 'ignored',
  '.svn': 'ignored',
  '.bzr': 'ignored',
  __pycache__: 'ignored',
  '.mypy_cache': 'ignored',
  '.pytest_cache': 'ignored',
  '.ruff_cache': 'ignored',
  '.tox': 'ignored',
  '.gradle': 'ignored',
  '.next': 'ignored',
  '.nuxt': 'ignored',
  '.turbo': 'ignored',
  '.parcel-cache': 'ignored',
  dist: 'generated',
});

/** Name of codeidx's own ignore file (gitignore syntax, at any level). */
export const CODEIDX_IGNORE_FILE = '.codeidxignore';

/** Options of a tree walk. Every field is optional; defaults are documented per field. */
export interface WalkOptions {
  /** Files larger than this many bytes are skipped as 'too-large' without being read. Default `DEFAULT_MAX_FILE_BYTES` (1 MiB, core/file-filter). */
  readonly maxFileBytes?: number;
  /** Globs (picomatch, repo-relative, dot files included) a file must match one of. Default: all files. */
  readonly include?: readonly string[];
  /** Globs (picomatch) of files or folders to skip ('ignored'). Default: none. */
  readonly exclude?: readonly string[];
  /** Folder names skipped at any depth, with their reason. Replaces `DEFAULT_SKIP_DIRECTORIES`. */
  readonly skipDirectories?: Readonly<Record<string, SkipReason>>;
  /** `$GIT_COMMON_DIR` of the tree, whose `info/exclude` and `info/attributes` apply. Default: none. */
  readonly gitCommonDir?: string | null;
  /** Skip sub-directories that hold their own `.git` (submodules, nested clones). Default false. */
  readonly skipNestedRepositories?: boolean;
  /**
   * `lstat` every candidate file for rule 8 (size). Default true. When false, no file is stat'ed:
   * entries get `size: -1`, nothing is skipped as 'too-large' here, and the reader's `readFile`
   * enforces the limit instead (`ListOptions.sizes`).
   */
  readonly statSizes?: boolean;
}

/** One level of ignore rules: the directory that holds them and the compiled matcher. */
interface IgnoreLevel {
  readonly base: string;
  readonly matcher: Ignore;
}

interface Frame {
  readonly rel: string;
  readonly abs: string;
  /** Shallowest first: info/exclude, root rules, then each deeper directory that has rules. */
  readonly ignores: readonly IgnoreLevel[];
  readonly attributes: LinguistAttributes;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Text of an optional rule file; undefined when absent. Other errors propagate. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
}

/**
 * Whether `path` (repo-relative; directories end in '/') is ignored by `levels`: the deepest
 * level with a matching rule decides (gitignore(5) precedence).
 */
function isIgnored(levels: readonly IgnoreLevel[], path: string): boolean {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i];
    if (level.base !== '' && !path.startsWith(`${level.base}/`)) continue;
    const rel = level.base === '' ? path : path.slice(level.base.length + 1);
    const result = level.matcher.test(rel);
    if (result.ignored) return true;
    if (result.unignored) return false;
  }
  return false;
}

function compilePatterns(globs: readonly string[] | undefined): ((path: string) => boolean) | null {
  if (!globs || globs.length === 0) return null;
  return picomatch([...globs], { dot: true });
}

function comparePaths(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Lists the candidate files under `root` (an absolute directory) per the rules of this module.
 * Paths are repo-relative POSIX paths; `files` and `skipped` are sorted by path.
 * Throws `ConfigError` when `root` is not a readable directory. A sub-directory that cannot be read
 * is skipped as 'unreadable'; a rule file that exists but cannot be read throws (a silently
 * missing `.gitignore` would index what the user excluded).
 */
export async function walkTree(root: string, options: WalkOptions = {}): Promise<FileListing> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Number.isFinite(maxFileBytes) || maxFileBytes < 0) {
    throw new ConfigError(`Invalid maximum file size: ${maxFileBytes} bytes.`, {
      hint: 'Pass a non-negative number of bytes (default 1048576 = 1 MiB).',
    });
  }
  const skipDirectories = options.skipDirectories ?? DEFAULT_SKIP_DIRECTORIES;
  const includes = compilePatterns(options.include);
  const excludes = compilePatterns(options.exclude);

  try {
    const info = await stat(root);
    if (!info.isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new ConfigError(`Cannot read source tree ${root}: ${(error as Error).message}`, {
      hint: 'Pass the path of an existing directory (the repository checkout).',
      cause: error,
    });
  }

  const rootIgnores: IgnoreLevel[] = [];
  let attributes = LinguistAttributes.create();
  if (options.gitCommonDir) {
    const exclude = await readOptional(join(options.gitCommonDir, 'info', 'exclude'));
    if (exclude !== undefined)
      rootIgnores.push({ base: '', matcher: ignore({ ignorecase: false }).add(exclude) });
    const infoAttributes = await readOptional(join(options.gitCommonDir, 'info', 'attributes'));
    if (infoAttributes !== undefined) attributes = LinguistAttributes.create(infoAttributes);
  }

  const files: FileEntry[] = [];
  const skipped: SkippedPath[] = [];
  const stack: Frame[] = [{ rel: '', abs: root, ignores: rootIgnores, attributes }];

  while (stack.length > 0) {
    const frame = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(frame.abs, { withFileTypes: true });
    } catch (error) {
      if (frame.rel === '') throw error;
      skipped.push({ path: frame.rel, reason: 'unreadable' });
      continue;
    }
    const prefix = frame.rel === '' ? '' : `${frame.rel}/`;
    // A nested repository is known from its own entries (no lstat of `<dir>/.git` per directory).
    if (frame.rel !== '' && options.skipNestedRepositories && entries.some((e) => e.name === '.git')) {
      skipped.push({ path: frame.rel, reason: 'ignored' });
      continue;
    }
    // Absolute paths by concatenation: `frame.abs` is already normalized, and `path.join` per entry
    // cost ~25 ms on a 9,000-file walk.
    const absPrefix = frame.abs.endsWith(sep) ? frame.abs : frame.abs + sep;

    // Rule files of this directory (only regular files: a symlinked rule file is not followed).
    let ignores = frame.ignores;
    const isRuleFile = (name: string): boolean => entries.some((e) => e.name === name && e.isFile());
    const ruleTexts: string[] = [];
    for (const name of ['.gitignore', CODEIDX_IGNORE_FILE]) {
      if (!isRuleFile(name)) continue;
      const text = await readOptional(join(frame.abs, name));
      if (text !== undefined) ruleTexts.push(text);
    }
    if (ruleTexts.length > 0) {
      ignores = [
        ...ignores,
        { base: frame.rel, matcher: ignore({ ignorecase: false }).add(ruleTexts.join('\n')) },
      ];
    }
    let attrs = frame.attributes;
    if (isRuleFile('.gitattributes')) {
      const text = await readOptional(join(frame.abs, '.gitattributes'));
      if (text !== undefined) attrs = attrs.withFile(frame.rel, text);
    }

    const candidates: Array<{ path: string; abs: string }> = [];
    const subdirs: Frame[] = [];
    for (const entry of entries) {
      const path = prefix + entry.name;
      if (entry.name === '.git') {
        skipped.push({ path, reason: 'ignored' });
      } else if (entry.isSymbolicLink()) {
        skipped.push({ path, reason: 'symlink' });
      } else if (entry.isDirectory()) {
        const reason = Object.hasOwn(skipDirectories, entry.name) ? skipDirectories[entry.name] : undefined;
        if (reason !== undefined) {
          skipped.push({ path, reason });
        } else if (isIgnored(ignores, `${path}/`) || excludes?.(path) === true) {
          skipped.push({ path, reason: 'ignored' });
        } else {
          subdirs.push({ rel: path, abs: absPrefix + entry.name, ignores, attributes: attrs });
        }
      } else if (entry.isFile()) {
        if (isIgnored(ignores, path) || excludes?.(path) === true || (includes && !includes(path))) {
          skipped.push({ path, reason: 'ignored' });
          continue;
        }
        const linguist = attrs.isEmpty ? null : attrs.classify(path);
        if (linguist !== null) {
          skipped.push({ path, reason: linguist });
          continue;
        }
        candidates.push({ path, abs: absPrefix + entry.name });
      } else {
        skipped.push({ path, reason: 'unreadable' });
      }
    }

    if (options.statSizes === false) {
      for (const { path } of candidates) files.push({ path, size: -1 });
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
      continue;
    }
    // Sizes from lstat; never open the file. -1: deleted while walking; -2: cannot be stat'ed.
    const sizes = candidates.map(({ abs }) => {
      try {
        return lstatSync(abs, { throwIfNoEntry: false })?.size ?? -1;
      } catch {
        return -2;
      }
    });
    candidates.forEach(({ path }, i) => {
      const size = sizes[i];
      if (size === -1) return;
      if (size === -2) skipped.push({ path, reason: 'unreadable' });
      else if (size > maxFileBytes) skipped.push({ path, reason: 'too-large' });
      else files.push({ path, size });
    });

    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }

  files.sort(comparePaths);
  skipped.sort(comparePaths);
  return { files, skipped };
}
