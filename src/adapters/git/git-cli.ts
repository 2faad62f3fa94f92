/**
 * The `git` program as a fast path for the two object-store reads of `GitSourceReader` that
 * isomorphic-git makes slow on a packed repository: resolving a commit and diffing two trees.
 *
 * Why: isomorphic-git reads a whole packfile into memory (and copies it once more) the first time an
 * object in it is needed. A fresh clone — what `actions/checkout` leaves — holds every object in one
 * pack, so diffing a 100-file push on the benchmark's 10,000-file repository (a 39 MB pack) took
 * 1.2 s and ~150 MB, against 40 ms for `git diff-tree` (BENCHMARKS.md §8); a pack over 2 GB cannot be
 * read that way at all. Every GitHub-hosted runner has git (actions/checkout needs it), so the reader
 * asks it first and falls back to isomorphic-git when git is missing or fails (a container without
 * git, a repository git refuses as "dubious ownership", a partial clone with a missing tree…).
 *
 * Plumbing only (whose output the user's configuration does not change), with an explicit `--git-dir`
 * and the variables that redirect repository discovery removed; system and global configuration
 * still apply, so a runner's `safe.directory` setting is honoured; `LC_ALL=C`;
 * `GIT_NO_LAZY_FETCH=1` keeps a partial clone from fetching over the network (it fails instead, and
 * the reader falls back). Both routes are tested to give the same answers
 * (test/adapters/git/git-source-reader.test.ts).
 *
 * @module adapters/git/git-cli
 */
import { execFile } from 'node:child_process';

/** Variables that would point git at another repository, work tree or object store than `--git-dir`. */
const REDIRECTING_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
];

/** Longest a git command may run, in ms (a diff of a huge push on a slow disk stays far below). */
const TIMEOUT_MS = 120_000;

/** Largest output read from one command, in bytes (~100 bytes per changed path). */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/** One side-by-side blob difference: `before`/`after` are blob ids, or null where the path holds no blob. */
export interface BlobDelta {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** What `resolveRevisions` found for one revision. */
export type RevisionLookup =
  /** A commit (40 hex, lower case). */
  | { readonly kind: 'commit'; readonly oid: string }
  /** An object that exists but is not a commit and does not peel to one (a blob, a tree). */
  | { readonly kind: 'not-a-commit'; readonly type: string }
  /** Nothing by that name in the object store (unknown, absent from a shallow clone). */
  | { readonly kind: 'missing' };

/** git could not be run or failed; the caller falls back to isomorphic-git. */
export class GitCliError extends Error {
  /** True when the program itself is absent (ENOENT): later calls need not try again. */
  readonly missingProgram: boolean;

  constructor(message: string, options: { cause?: unknown; missingProgram?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'GitCliError';
    this.missingProgram = options.missingProgram ?? false;
  }
}

/** Tree entry modes whose object is a blob: regular files (100644, 100755, legacy 100664) and symlinks. */
function isBlobMode(mode: string): boolean {
  return mode.startsWith('10') || mode === '120000';
}

/**
 * Parses `git diff-tree -r -z --raw --no-renames --no-abbrev` output into blob deltas: each entry is
 * `:<old mode> <new mode> <old id> <new id> <status>` NUL `<path>` NUL. A side whose mode is not a
 * blob's (absent: 000000, a submodule: 160000) is null; an entry whose blob is the same on both sides
 * (a mode-only change, e.g. `chmod +x`) is left out, as is one with no blob on either side.
 * @throws GitCliError on output that does not have this shape
 */
export function parseRawDiff(output: Buffer): BlobDelta[] {
  const fields = output.toString('utf8').split('\0');
  const deltas: BlobDelta[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]{40}) ([0-9a-f]{40}) [A-Z]\d*$/.exec(fields[i]);
    const path = fields[i + 1];
    if (!meta || path === '') throw new GitCliError(`unexpected git diff-tree output near "${fields[i]}"`);
    const [, oldMode, newMode, oldId, newId] = meta as unknown as [string, string, string, string, string];
    const before = isBlobMode(oldMode) ? oldId : null;
    const after = isBlobMode(newMode) ? newId : null;
    if (before === after) continue;
    deltas.push({ path, before, after });
  }
  return deltas;
}

/** Runs git plumbing against one repository. Create one per git dir; calls are independent. */
export class GitCli {
  /**
   * @param gitDir the repository's git dir (a linked worktree's own dir works: git follows `commondir`)
   * @param program the git executable, `git` on PATH by default
   */
  constructor(
    private readonly gitDir: string,
    private readonly program = 'git',
  ) {}

  /** Runs `git --git-dir=<gitDir> <args>` with `input` on stdin; resolves stdout. @throws GitCliError */
  private run(args: readonly string[], input?: string): Promise<Buffer> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LC_ALL: 'C',
      GIT_OPTIONAL_LOCKS: '0',
      GIT_NO_LAZY_FETCH: '1',
      GIT_TERMINAL_PROMPT: '0',
    };
    for (const name of REDIRECTING_ENV) delete env[name];
    return new Promise((resolvePromise, reject) => {
      const child = execFile(
        this.program,
        [`--git-dir=${this.gitDir}`, ...args],
        { env, encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES, timeout: TIMEOUT_MS, windowsHide: true },
        (error, stdout, stderr) => {
          if (!error) return resolvePromise(stdout);
          const missingProgram = (error as NodeJS.ErrnoException).code === 'ENOENT';
          const detail = stderr.toString('utf8').trim().split('\n')[0] ?? '';
          reject(
            new GitCliError(`git ${args[0]} failed: ${detail || error.message}`, {
              cause: error,
              missingProgram,
            }),
          );
        },
      );
      child.stdin?.on('error', () => undefined); // git exiting early (EPIPE) is reported by the callback
      child.stdin?.end(input ?? '');
    });
  }

  /**
   * Looks each revision up (a 40-hex or abbreviated id, a ref name, an annotated tag) with one
   * `git cat-file --batch-check`, peeling tags to their commit. Revisions must not contain a newline.
   * @returns one lookup per revision, in order
   * @throws GitCliError when git cannot be run, or a revision is ambiguous
   */
  async resolveRevisions(revs: readonly string[]): Promise<RevisionLookup[]> {
    if (revs.some((rev) => /[\n\r]/.test(rev))) throw new GitCliError('a revision contains a line break');
    // For each revision: the object itself, then the commit it peels to (missing when there is none).
    const input = revs.map((rev) => `${rev}\n${rev}^{commit}\n`).join('');
    const lines = (await this.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], input))
      .toString('utf8')
      .split('\n');
    return revs.map((rev, i) => {
      const object = lines[2 * i] ?? '';
      const commit = lines[2 * i + 1] ?? '';
      if (object.endsWith(' ambiguous') || commit.endsWith(' ambiguous'))
        throw new GitCliError(`revision "${rev}" is ambiguous`);
      const peeled = /^([0-9a-f]{40}) commit$/.exec(commit);
      if (peeled) return { kind: 'commit', oid: peeled[1] };
      const found = /^[0-9a-f]{40} (blob|tree|commit|tag)$/.exec(object);
      return found ? { kind: 'not-a-commit', type: found[1] } : { kind: 'missing' };
    });
  }

  /**
   * Blob differences between two commits (40-hex ids), recursing into trees; renames are not
   * detected here (see `parseRawDiff` for the shape). @throws GitCliError (e.g. a tree is missing)
   */
  async diffTrees(base: string, head: string): Promise<BlobDelta[]> {
    if (!/^[0-9a-f]{40}$/.test(base) || !/^[0-9a-f]{40}$/.test(head))
      throw new GitCliError('diffTrees takes two 40-hex commit ids');
    return parseRawDiff(
      await this.run(['diff-tree', '-r', '-z', '--raw', '--no-renames', '--no-abbrev', base, head]),
    );
  }
}
