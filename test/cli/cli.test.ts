import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSyntheticModel } from '../../scripts/make-synthetic-model.js';
import { EXIT, main, repoFromRemote, type CliIo } from '../../src/cli/main.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'src/cli/index.ts');

let dir: string;
let repo: string;
let modelDir: string;

/** Runs the CLI in-process and captures its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: { XDG_CACHE_HOME: path.join(dir, 'xdg'), HF_ENDPOINT: 'http://127.0.0.1:9', CODEIDX_MODEL_CACHE: path.join(dir, 'models'), ...env },
    cwd: repo,
    isTTY: false,
  };
  const code = await main(['node', 'codeidx', ...args], io);
  return { code, out, err };
}

function writeFile(root: string, rel: string, text: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Every point of a store file as sorted comparable rows (id, path, lines, content hash, has vector). */
function dumpStore(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, repo, ref, path, start_line, end_line, content_hash FROM chunks ORDER BY id').all() as Array<
      Record<string, unknown>
    >;
    return rows.map((r) => Object.values(r).map(String).join(' '));
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-cli-'));
  repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  execFileSync('git', ['remote', 'add', 'origin', 'https://github.com/acme/widgets.git'], { cwd: repo });
  writeFile(repo, 'src/auth/verify.ts', 'export function verifyWebhookSignature(secret: string, body: string, signature: string): boolean {\n  return signature === sign(secret, body);\n}\n');
  writeFile(repo, 'src/retry.py', 'import time\n\n\ndef retry_with_backoff(fn, attempts=5):\n    """Retry fn with exponential backoff."""\n    for i in range(attempts):\n        try:\n            return fn()\n        except Exception:\n            time.sleep(2 ** i)\n');
  writeFile(repo, 'cmd/server/main.go', 'package main\n\nfunc main() {\n\tlistenAndServe(":8080")\n}\n');
  writeFile(repo, 'docs/guide.md', '# Guide\n\nHow to configure the server.\n');
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init'], { cwd: repo });
  modelDir = ensureSyntheticModel('tiny');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('codeidx CLI', () => {
  it('derives owner/name from remotes', () => {
    expect(repoFromRemote('https://github.com/acme/widgets.git')).toBe('acme/widgets');
    expect(repoFromRemote('git@github.com:acme/widgets.git')).toBe('acme/widgets');
    expect(repoFromRemote('nonsense')).toBeNull();
  });

  it('indexes with the built-in model by default (no network), and searches it', async () => {
    const indexed = await cli(['index']);
    expect(indexed.code).toBe(EXIT.ok);
    expect(indexed.out).toMatch(/indexed acme\/widgets refs\/heads\/main @ [0-9a-f]{12}/);
    expect(indexed.out).toMatch(/files\s+4 seen, 4 indexed/);
    expect(indexed.out).toMatch(/embedding\s+codeidx-static@/);
    const found = await cli(['search', 'retry with exponential backoff', '-k', '3']);
    expect(found.code).toBe(EXIT.ok);
    expect(found.out.split('\n')[0]).toMatch(/^src\/retry\.py:\d+-\d+ {2}retry_with_backoff {2}\d/);
    const semantic = await cli(['search', 'check the signature of a webhook', '--mode', 'semantic', '--json']);
    const parsedSemantic = JSON.parse(semantic.out) as { mode: string; results: Array<{ path: string }> };
    expect(parsedSemantic.mode).toBe('semantic');
    expect(parsedSemantic.results.length).toBeGreaterThan(0);
  });

  it('builds and searches a lexical-only index with --model none', async () => {
    const indexed = await cli(['index', '--model', 'none']);
    expect(indexed.code).toBe(EXIT.ok);
    expect(indexed.out).toMatch(/none \(lexical only\)/);
    const json = await cli(['search', 'verifyWebhookSignature', '--json', '--lang', 'typescript']);
    const parsed = JSON.parse(json.out) as { mode: string; results: Array<{ path: string; permalink: string }> };
    expect(parsed.mode).toBe('lexical');
    expect(parsed.results[0]?.path).toBe('src/auth/verify.ts');
    expect(parsed.results[0]?.permalink).toMatch(/^https:\/\/github\.com\/acme\/widgets\/blob\/[0-9a-f]{40}\/src\/auth\/verify\.ts#L1-L3$/);
    const status = await cli(['status', '--json']);
    const states = JSON.parse(status.out) as Array<{ repo: string; status: string; model: string }>;
    expect(states.map((s) => s.model)).toContain('none');
    expect(states.every((s) => s.repo === 'acme/widgets' && s.status === 'complete')).toBe(true);
  });

  it('indexes with a model folder, then a second run embeds nothing (cache and store hits)', async () => {
    const first = await cli(['index', '--model', modelDir, '--json']);
    expect(first.code).toBe(EXIT.ok);
    const report = JSON.parse(first.out) as { counts: { embedded: number; chunks: number } };
    expect(report.counts.embedded).toBeGreaterThan(0);
    const second = await cli(['index', '--model', modelDir, '--json', '--full']);
    const again = JSON.parse(second.out) as { counts: { embedded: number; cacheHits: number; chunks: number } };
    expect(again.counts.embedded).toBe(0);
    expect(again.counts.cacheHits).toBe(again.counts.chunks);
    const semantic = await cli(['search', 'webhook signature', '--mode', 'semantic', '-k', '2']);
    expect(semantic.code).toBe(EXIT.ok);
    expect(semantic.out).toMatch(/:\d+-\d+/);
  });

  it('gives stable exit codes and clear messages for bad input', async () => {
    expect((await cli(['search', '   '])).code).toBe(EXIT.usage);
    expect((await cli(['search', 'x', '-k', '0'])).code).toBe(EXIT.usage);
    expect((await cli(['search', 'x', '--mode', 'fuzzy'])).code).toBe(EXIT.usage);
    const long = await cli(['search', 'a'.repeat(10_000)]);
    expect(long.code).toBe(EXIT.usage);
    expect(long.err).toMatch(/limit is 2000/);
    const hostile = await cli(['search', '"NEAR( * AND ) OR "', '--mode', 'lexical']);
    expect(hostile.code).toBe(EXIT.ok);
    const unknown = await cli(['index', '--model', 'acme/no-such-model']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toMatch(/unknown model/);
    const empty = fs.mkdtempSync(path.join(dir, 'noindex-'));
    const none = await cli(['search', 'x', '--dir', empty]);
    expect(none.code).toBe(EXIT.noIndex);
    expect(none.err).toMatch(/run `codeidx index/);
    expect((await cli(['index', path.join(dir, 'missing')])).code).toBe(EXIT.usage);
    const suite = path.join(dir, 'suite.jsonl');
    fs.writeFileSync(suite, '{"query": "retry", "relevant": [{"path": "src/retry.py"}]}\n');
    for (const [flag, value, message] of [
      ['--rrf-k', '1.5', /--rrf-k must be an integer from 0 to 1000, got "1.5"/],
      ['--rrf-weights', '1', /--rrf-weights must be two numbers above 0 .*got "1"/],
      ['--rrf-weights', '1,0', /--rrf-weights must be two numbers above 0/],
    ] as const) {
      const bad = await cli(['eval', suite, '--source', repo, '--model', 'none', flag, value]);
      expect(bad.code).toBe(EXIT.usage);
      expect(bad.err).toMatch(message);
    }
  });

  it('reports a corrupt store clearly and leaves the file untouched', async () => {
    const tree = fs.mkdtempSync(path.join(dir, 'corrupt-'));
    writeFile(tree, 'a.ts', 'export const a = 1;\n');
    const dataDir = path.join(tree, '.codeidx');
    fs.mkdirSync(dataDir);
    const storeFile = path.join(dataDir, 'index-lexical.db');
    fs.writeFileSync(storeFile, Buffer.alloc(8192, 7));
    const result = await cli(['index', tree, '--model', 'none']);
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toMatch(/hint:/);
    expect(fs.readFileSync(storeFile).equals(Buffer.alloc(8192, 7))).toBe(true);
  });
});

describe('a real index process killed at any point', () => {
  it('converges, on re-run, to exactly the index a full run builds', async () => {
    const tree = path.join(dir, 'killtree');
    // Enough files that the run takes a few seconds, so the kills land mid-run.
    for (let i = 0; i < 400; i++) {
      const fns = Array.from({ length: 6 }, (_, j) => `export function handler${i}_${j}(input: string): string {\n  return input.repeat(${j + 1}) + '${i}';\n}\n`).join('\n');
      writeFile(tree, `pkg${i % 20}/mod${i}.ts`, fns);
    }
    const dataDir = path.join(dir, 'kill-data');
    const cachePath = path.join(dir, 'kill-cache.db');
    const args = ['--import', 'tsx', CLI, 'index', tree, '--model', modelDir, '--data-dir', dataDir, '--cache-path', cachePath, '--repo', 'acme/kill', '--quiet'];
    const env = { ...process.env, CI: '1', HF_ENDPOINT: 'http://127.0.0.1:9' };

    const storeStatus = (): string | null => {
      const storeFile = fs.existsSync(dataDir) ? fs.readdirSync(dataDir).find((f) => /^index-.*\.db$/.test(f)) : undefined;
      if (!storeFile) return null;
      try {
        const db = new Database(path.join(dataDir, storeFile), { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare('SELECT state FROM states').get() as { state: string } | undefined;
          return row ? (JSON.parse(row.state) as { status: string }).status : null;
        } finally {
          db.close();
        }
      } catch {
        return null; // schema not created yet
      }
    };

    const killedStates: string[] = [];
    for (const [round, extraDelayMs] of [0, 150, 400, 900].entries()) {
      // Rewrite 120 files each round so that every run upserts and deletes stale points.
      for (let i = round * 100; i < round * 100 + 120; i++) {
        const file = path.join(tree, `pkg${i % 20}/mod${i % 400}.ts`);
        fs.appendFileSync(file, `export const round${round} = ${i};\n`);
      }
      fs.rmSync(path.join(tree, `pkg3/mod${round * 20 + 3}.ts`), { force: true });
      const child = spawn(process.execPath, [...args, '--files-per-batch', '10'], { cwd: ROOT, env, stdio: 'ignore' });
      let exitCode: number | null | undefined;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', (code) => {
          exitCode = code;
          resolve();
        }),
      );
      // Wait until the run has started writing (state in_progress), then kill it a little later.
      const deadline = Date.now() + 90_000;
      while (exitCode === undefined && storeStatus() !== 'in_progress' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, extraDelayMs));
      child.kill('SIGKILL');
      await exited;
      const status = storeStatus();
      if (status) killedStates.push(status);
    }
    // At least one kill must have interrupted a run (otherwise this test proves nothing).
    expect(killedStates).toContain('in_progress');

    execFileSync(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    const storeFile = fs.readdirSync(dataDir).find((f) => f.startsWith('index-') && f.endsWith('.db'))!;
    const converged = dumpStore(path.join(dataDir, storeFile));

    const freshData = path.join(dir, 'fresh-data');
    execFileSync(process.execPath, [...args.slice(0, 7), '--data-dir', freshData, '--no-cache', '--repo', 'acme/kill', '--quiet', '--full'], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const fresh = dumpStore(path.join(freshData, storeFile));
    expect(converged.length).toBeGreaterThan(400);
    expect(converged).toEqual(fresh);
  }, 240_000);
});
