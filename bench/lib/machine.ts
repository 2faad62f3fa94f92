/**
 * Facts about the machine and the code under test, written atop BENCHMARKS.md.
 *
 * @module bench/lib/machine
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

/** What was measured on, and when. */
export interface MachineFacts {
  readonly date: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memTotalMB: number;
  readonly node: string;
  /** 1, 5 and 15-minute load averages when the run started. */
  readonly loadAtStart: readonly [number, number, number];
  /** `git describe`-like: commit sha (12) plus "+dirty" when tracked files differ. */
  readonly commit: string;
}

/** The CPU model name from /proc/cpuinfo ("unknown" elsewhere). */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Current load averages, rounded to two decimals. */
export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [a, b, c].map((x) => Math.round(x * 100) / 100) as [number, number, number];
}

function gitCommit(cwd: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** Collects the facts of this machine now; `repoRoot` is the codeidx checkout. */
export function machineFacts(repoRoot: string): MachineFacts {
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memTotalMB: Math.round(totalmem() / 1e6),
    node: process.version,
    loadAtStart: loadAverage(),
    commit: gitCommit(repoRoot),
  };
}
