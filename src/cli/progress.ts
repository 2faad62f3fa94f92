/**
 * @module cli/progress — progress of long phases: a cli-progress bar on an interactive terminal,
 * plain lines (at most one every 5 s, and at the end) in CI and when output is piped.
 */
import cliProgress from 'cli-progress';
import type { ProgressReporter } from '../core/ports.js';

/** A reporter that prints nothing (`--quiet`, `--json`). */
export const silentProgress: ProgressReporter = { start() {}, tick() {}, stop() {} };

/** A cli-progress bar on stderr. */
export function createBarProgress(): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    start(phase, total) {
      bar.start(total, 0, { phase: phase.padEnd(9) });
      active = true;
    },
    tick(n = 1) {
      if (active) bar.increment(n);
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

/** Plain progress lines for logs: `indexing: 1200/5000 (24%)`, throttled to one per `intervalMs`. */
export function createLineProgress(write: (line: string) => void, intervalMs = 5_000): ProgressReporter {
  let phase = '';
  let total = 0;
  let done = 0;
  let last = 0;
  const line = (): void => write(`${phase}: ${done}/${total} (${total ? Math.floor((100 * done) / total) : 100}%)\n`);
  return {
    start(p, t) {
      phase = p;
      total = t;
      done = 0;
      last = Date.now();
    },
    tick(n = 1) {
      done += n;
      if (Date.now() - last >= intervalMs) {
        last = Date.now();
        line();
      }
    },
    stop() {
      if (total > 0) line();
    },
  };
}

/** The reporter that suits the environment: a bar on a TTY outside CI, lines otherwise. */
export function createProgress(options: { quiet: boolean; isTTY: boolean; ci: boolean }): ProgressReporter {
  if (options.quiet) return silentProgress;
  if (options.isTTY && !options.ci) return createBarProgress();
  return createLineProgress((l) => process.stderr.write(l));
}
