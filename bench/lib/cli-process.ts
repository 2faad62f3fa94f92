/**
 * Runs the built `codeidx` CLI (`node dist/cli/index.js`) as a child process and measures it:
 * wall time from spawn to exit (process start, imports and model load included) and peak RSS.
 * Peak RSS comes from GNU time (`/usr/bin/time -v`, "Maximum resident set size") when installed,
 * otherwise from the child's /proc/<pid>/status VmHWM sampled every 50 ms (the last sample
 * before exit; peaks in the final 50 ms can be missed).
 *
 * @module bench/lib/cli-process
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** Outcome of one CLI run. */
export interface CliRun {
  readonly exitCode: number;
  readonly wallMs: number;
  /** Peak resident set size in bytes (null when it could not be read). */
  readonly peakRssBytes: number | null;
  readonly rssSource: 'gnu-time' | 'proc-vmhwm' | 'none';
  readonly stdout: string;
  readonly stderr: string;
}

/** The entry of the built CLI under `repoRoot`. */
export function cliEntry(repoRoot: string): string {
  return join(repoRoot, 'dist', 'cli', 'index.js');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.isFile() && p.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ as `npm run build` does — `tsc -p tsconfig.build.json`, then the action's bundle
 * (scripts/bundle-action.mjs, which replaces tsc's dist/action/index.js) — when the CLI entry is
 * missing, older than a file of src/, or `force`. tsc emits JavaScript even when type errors are reported (files other people
 * are editing); the returned note says so, and an entry still missing afterwards is an error.
 */
export function ensureBuilt(repoRoot: string, force: boolean, log: (line: string) => void): string | null {
  const entry = cliEntry(repoRoot);
  if (!force && existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(repoRoot, 'src'))) return null;
  log('building dist/ (tsc -p tsconfig.build.json + the action bundle) for the benchmarks ...');
  let note: string | null = null;
  try {
    execFileSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const out = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    const count = (out.match(/error TS/g) ?? []).length;
    note = `tsc reported ${count} type error(s) while building dist/ (JavaScript was emitted anyway)`;
    log(`warning: ${note}`);
  }
  if (!existsSync(entry)) throw new Error(`the build did not produce ${entry}; run \`npm run build\` and look at its errors`);
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle-action.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  return note;
}

function parseGnuTimeRss(stderr: string): number | null {
  const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(stderr);
  return m ? Number(m[1]) * 1024 : null;
}

function readVmHwm(pid: number): number | null {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `node <cli entry> ...args` with `env` added to the environment; resolves when it exits
 * (never rejects for a non-zero exit: check `exitCode`).
 */
export function runCli(repoRoot: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const useTime = existsSync(GNU_TIME);
  const nodeArgs = [cliEntry(repoRoot), ...args];
  const [cmd, argv] = useTime ? [GNU_TIME, ['-v', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let hwm: number | null = null;
    const timer = useTime
      ? null
      : setInterval(() => {
          if (child.pid !== undefined) hwm = readVmHwm(child.pid) ?? hwm;
        }, 50);
    child.on('error', (e) => {
      if (timer) clearInterval(timer);
      reject(e);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (timer) clearInterval(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      const peak = useTime ? parseGnuTimeRss(stderr) : hwm;
      resolve({
        exitCode: code ?? -1,
        wallMs,
        peakRssBytes: peak,
        rssSource: peak === null ? 'none' : useTime ? 'gnu-time' : 'proc-vmhwm',
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
      });
    });
  });
}
