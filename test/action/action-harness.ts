/**
 * Runs the action's entry point the way the runner does: an event payload file at
 * GITHUB_EVENT_PATH, INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files; the module
 * graph is re-imported for every run (`vi.resetModules`), as each workflow step is a new process.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import examples from '@octokit/webhooks-examples';
import Database from 'better-sqlite3';

/** Result of one action run. */
export interface ActionRun {
  readonly outputs: Record<string, string>;
  readonly summary: string;
  /** Everything written to stdout: logs and workflow commands (::warning::, ::error::). */
  readonly stdout: string;
  readonly failed: boolean;
}

/** One recorded example payload of `@octokit/webhooks-examples` by event name and predicate. */
export function examplePayload(
  event: string,
  pick: (p: Record<string, unknown>) => boolean,
): Record<string, unknown> {
  // The package types each example by event; here they are plain JSON objects to retarget.
  const all = examples as unknown as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
  const entry = all.find((e) => e.name === event);
  const found = entry?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

let runCounter = 0;

/** Options of one run. */
export interface RunOptions {
  readonly event: string;
  readonly payload?: Record<string, unknown>;
  readonly inputs: Record<string, string>;
  readonly workspace: string;
  readonly tmp: string;
  /** GITHUB_SHA / GITHUB_REF (defaults: the payload's after / ref). */
  readonly sha?: string;
  readonly ref?: string;
  readonly env?: Record<string, string>;
}

function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(ghadelimiter_[^\n]+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]] = m[3]!;
  return out;
}

/** Runs `src/action/index.ts` once with a fresh module graph and a scrubbed environment. */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  runCounter++;
  const dir = path.join(options.tmp, `run-${runCounter}`);
  fs.mkdirSync(dir, { recursive: true });
  const eventPath = path.join(dir, 'event.json');
  fs.writeFileSync(eventPath, JSON.stringify(options.payload ?? {}));
  const outputPath = path.join(dir, 'output');
  // One path for every run: @actions/core (loaded once by Node, not re-imported by resetModules)
  // caches the summary file path on first use. On a runner each step is a new process.
  const summaryPath = path.join(options.tmp, 'step-summary.md');
  fs.writeFileSync(outputPath, '');
  fs.writeFileSync(summaryPath, '');
  const saved = { ...process.env };
  for (const key of Object.keys(process.env))
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_')) delete process.env[key];
  const payloadRef = typeof options.payload?.ref === 'string' ? options.payload.ref : undefined;
  const payloadAfter = typeof options.payload?.after === 'string' ? options.payload.after : undefined;
  Object.assign(process.env, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_RUN_ID: String(1000 + runCounter),
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_TEMP: path.join(dir, 'runner-temp'),
    HF_ENDPOINT: 'http://127.0.0.1:9',
    CODEIDX_MODEL_CACHE: path.join(options.tmp, 'model-cache'),
    ...((options.sha ?? payloadAfter) ? { GITHUB_SHA: options.sha ?? payloadAfter } : {}),
    ...((options.ref ?? payloadRef) ? { GITHUB_REF: options.ref ?? payloadRef } : {}),
    ...options.env,
  });
  for (const [name, value] of Object.entries(options.inputs))
    process.env[`INPUT_${name.toUpperCase()}`] = value;
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    vi.resetModules();
    await import('../../src/action/index.js');
  } finally {
    spy.mockRestore();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  const failed = process.exitCode === 1;
  process.exitCode = previousExitCode;
  return {
    outputs: parseOutputs(fs.readFileSync(outputPath, 'utf8')),
    summary: fs.readFileSync(summaryPath, 'utf8'),
    stdout,
    failed,
  };
}

/** Runs git in `cwd` with a fixed identity and dates (deterministic commits). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();
}

/** Writes a file under `root`, creating folders. */
export function writeFile(root: string, rel: string, text: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Every point of (repo, ref) in a SQLite store file, as sorted comparable rows (commit left out: unchanged files keep theirs). */
export function storeRows(file: string, repo: string, ref: string): string[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        'SELECT id, path, start_line, end_line, content_hash, file_hash FROM chunks WHERE repo = ? AND ref = ? ORDER BY id',
      )
      .all(repo, ref) as Array<Record<string, unknown>>;
    return rows.map((r) => Object.values(r).map(String).join(' '));
  } finally {
    db.close();
  }
}

/** The index state JSON of (repo, ref), or null. */
export function storeState(
  file: string,
  repo: string,
  ref: string,
): { commit: string | null; status: string } | null {
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare('SELECT state FROM states WHERE repo = ? AND ref = ?').get(repo, ref) as
      { state: string } | undefined;
    return row ? (JSON.parse(row.state) as { commit: string | null; status: string }) : null;
  } finally {
    db.close();
  }
}
