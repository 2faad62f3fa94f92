/**
 * The real repository of the benchmarks: Go's standard library as shipped by Debian
 * (`golang-1.19-src`, ~7,300 files of Go, assembly, C and text). Lists it with the same reader and
 * filters as the pipeline, picks evenly spread subsets, and copies trees into git repositories.
 *
 * @module bench/lib/go-corpus
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';

/** Default location of the Go standard library sources (Debian package golang-1.19-src). */
export const DEFAULT_GO_SRC = '/usr/share/go-1.19/src';

/** Thrown when the corpus is missing; the message says how to install it. */
export class CorpusMissingError extends Error {}

/**
 * Checks that `dir` is a directory; otherwise throws `CorpusMissingError` with the install command.
 */
export function requireCorpus(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CorpusMissingError(
      `the Go standard library is not at ${dir}. Install it with \`sudo apt-get install -y golang-1.19-src\` ` +
        `(Debian/Ubuntu), or pass another source tree with --go-src <dir>.`,
    );
  }
}

/**
 * Repo-relative paths of the files the pipeline would consider under `dir` (the source reader's
 * listing: ignore rules, vendor folders), sorted.
 */
export async function listCorpus(dir: string): Promise<string[]> {
  const reader = await openSourceReader(dir);
  const listing = await reader.listFiles();
  return listing.files.map((f) => f.path).sort();
}

/** `count` items spread evenly over `items` (all of them when `count` ≥ length), order kept. */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(items[Math.floor((i * items.length) / count)]);
  return out;
}

/** Copies `paths` (relative to `from`) into `to`, creating folders. */
export function copyFiles(from: string, to: string, paths: readonly string[]): void {
  for (const p of paths) {
    const dest = join(to, p);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(join(from, p), dest);
  }
}

/** Runs git in `dir` with a fixed identity (no global config needed); returns stdout. */
export function git(dir: string, args: readonly string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=codeidx bench', '-c', 'user.email=bench@codeidx.invalid', '-c', 'commit.gpgsign=false', ...args],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

/** `git init -b main` + add everything + one commit; returns the commit sha. */
export function initGitRepo(dir: string, message: string): string {
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}
