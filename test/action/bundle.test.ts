/**
 * The action as users run it: `node dist/action/index.js`, the esbuild bundle of src/action/index.ts
 * (scripts/bundle-action.mjs). Built here into a scratch folder at dist/action's depth, then run as a
 * child process with the runner's environment over a git repository built in the test: a first push
 * (cold index with the built-in model, which the bundle must find from its own location) and a rename
 * push (planned by the git diff).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, storeState, writeFile } from './action-harness.js';
import Database from 'better-sqlite3';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ZERO = '0'.repeat(40);

let bundleDir: string;
let tmp: string;
let work: string;

beforeAll(() => {
  // Two levels below the package root, like dist/action: models/ and node_modules/ are found upwards.
  bundleDir = path.join(ROOT, '.tmp', `bundle-test-${process.pid}`, 'action');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-action.mjs'), '--outdir', bundleDir], {
    stdio: 'pipe',
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-bundle-'));
  work = path.join(tmp, 'repo');
  fs.mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  writeFile(
    work,
    'src/retry.ts',
    'export function retryWithBackoff(attempt: number): number {\n  return 100 * 2 ** attempt;\n}\n',
  );
  writeFile(
    work,
    'src/signature.py',
    'def verify_signature(secret, body):\n    return len(secret) > 0 and len(body) > 0\n',
  );
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'first');
}, 60_000);

afterAll(() => {
  fs.rmSync(path.dirname(bundleDir), { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the bundle once as the runner's Index step does; returns stdout and the outputs file. */
function runBundle(
  before: string,
  after: string,
  n: number,
): { status: number | null; stdout: string; output: string } {
  const dir = path.join(tmp, `run-${n}`);
  fs.mkdirSync(path.join(dir, 'runner-temp'), { recursive: true });
  const event = {
    ref: 'refs/heads/main',
    before,
    after,
    created: before === ZERO,
    deleted: false,
    forced: false,
  };
  fs.writeFileSync(path.join(dir, 'event.json'), JSON.stringify(event));
  fs.writeFileSync(path.join(dir, 'output'), '');
  fs.writeFileSync(path.join(dir, 'summary.md'), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_WORKSPACE: work,
    GITHUB_SHA: after,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: String(n),
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_TEMP: path.join(dir, 'runner-temp'),
    HF_ENDPOINT: 'http://127.0.0.1:9',
    CODEIDX_MODEL_CACHE: path.join(tmp, 'model-cache'),
    INPUT_CACHE: 'false',
    INPUT_STORE_PATH: path.join(tmp, 'store'),
  };
  const child = spawnSync(process.execPath, [path.join(bundleDir, 'index.js')], {
    cwd: work,
    env,
    encoding: 'utf8',
  });
  return {
    status: child.status,
    stdout: child.stdout + child.stderr,
    output: fs.readFileSync(path.join(dir, 'output'), 'utf8'),
  };
}

function storedPaths(): string[] {
  const file = fs.readdirSync(path.join(tmp, 'store')).find((f) => f.endsWith('.db'))!;
  const db = new Database(path.join(tmp, 'store', file), { readonly: true });
  try {
    const rows = db.prepare('SELECT DISTINCT path FROM chunks ORDER BY path').all() as Array<{
      path: string;
    }>;
    return rows.map((r) => r.path);
  } finally {
    db.close();
  }
}

describe('the bundled action (dist/action/index.js)', () => {
  it('loads the lazily used packages only on demand: no static import of them in the entry file', () => {
    // The entry starts the embedding worker, then imports the chunk of main.ts: what runs at start-up.
    const main = fs.readdirSync(path.join(bundleDir, 'chunks')).filter((f) => /^main-\w+\.js$/.test(f));
    expect(main).toHaveLength(1);
    const entry =
      fs.readFileSync(path.join(bundleDir, 'index.js'), 'utf8') +
      fs.readFileSync(path.join(bundleDir, 'chunks', main[0]), 'utf8');
    // A static `import … from "pkg"` (the bundle is minified: statements share lines, no spaces).
    const staticImport = (pkg: string): RegExp =>
      new RegExp(`(?:^|[;\\n}])\\s*import\\s*[^;()]*?from\\s*["']${pkg.replace(/[/.]/g, '\\$&')}["']`);
    expect(entry).toMatch(staticImport('better-sqlite3')); // the pattern finds real imports
    for (const pkg of ['@actions/cache', '@actions/github', '@qdrant/js-client-rest']) {
      expect(entry, pkg).not.toMatch(staticImport(pkg));
    }
    // Statically imported packages are inside the bundle, not loaded from node_modules.
    for (const pkg of ['isomorphic-git', 'zod', '@actions/core', '@actions/http-client']) {
      expect(entry, pkg).not.toMatch(staticImport(pkg));
    }
  });

  it('stays small: zod tree-shaken, no HTTP client inside @actions/core (start-up parses it all)', () => {
    const files = [
      path.join(bundleDir, 'index.js'),
      ...fs
        .readdirSync(path.join(bundleDir, 'chunks'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => path.join(bundleDir, 'chunks', f)),
    ];
    const all = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(all).not.toMatch(/undici/);
    expect(all.length).toBeLessThan(1_200_000);
  });

  it('indexes a first push with the built-in model, then plans a rename push by git diff', () => {
    const first = git(work, 'rev-parse', 'HEAD');
    const cold = runBundle(ZERO, first, 1);
    expect(cold.status, cold.stdout).toBe(0);
    expect(cold.stdout).toContain('model codeidx-static@');
    // The entry started the worker before loading main, and the worker kept the model it guessed.
    expect(cold.stdout).toContain('kept the built-in model loaded speculatively');
    expect(cold.output).toMatch(/files-indexed<<\S+\n2\n/);
    expect(
      storeState(
        path.join(
          tmp,
          'store',
          fs.readdirSync(path.join(tmp, 'store')).find((f) => f.endsWith('.db'))!,
        ),
        'acme/widgets',
        'refs/heads/main',
      ),
    ).toMatchObject({ commit: first, status: 'complete' });

    git(work, 'mv', 'src/retry.ts', 'src/backoff.ts');
    git(work, 'commit', '-qm', 'rename');
    const second = git(work, 'rev-parse', 'HEAD');
    const rename = runBundle(first, second, 2);
    expect(rename.status, rename.stdout).toBe(0);
    expect(rename.stdout).toContain('plan (diff): 1 files to index, 1 to drop');
    expect(storedPaths()).toEqual(['src/backoff.ts', 'src/signature.py']);
  }, 60_000);
});
