#!/usr/bin/env node
/**
 * Bundles the GitHub Action's entry point (src/action/index.ts) into dist/action/index.js with esbuild,
 * after `tsc` has built dist/ (`npm run build` runs both; the bundle replaces tsc's two-line entry).
 *
 * Why: every push runs `node dist/action/index.js` once, and loading ~600 separate ES/CommonJS modules
 * (@actions/core, isomorphic-git, zod, …) cost about 0.5 s of a 100-file rename push whose target is
 * 2 s (node --cpu-prof: module loading, the CommonJS lexer and the GC of the loader were most of the
 * start-up). One file loads in a fraction of that (BENCHMARKS.md §8). This is how GitHub's own
 * JavaScript actions ship (actions/typescript-action bundles with a bundler; ncc/rollup/esbuild).
 *
 * Kept external (loaded from node_modules at run time, as before):
 * - native or wasm packages that locate files next to themselves: better-sqlite3, sqlite-vec,
 *   onnxruntime-node, web-tree-sitter, @repomix/tree-sitter-wasms;
 * - packages the action imports only when needed (dynamic `import()`), so that a run that does not
 *   use them does not load them: @actions/cache, @actions/github, @qdrant/js-client-rest;
 * - piscina (worker threads started from files next to it; the action chunks in-thread anyway).
 * Dynamic imports of the action's own modules (the Qdrant adapter) become separate chunks
 * (dist/action/chunks/) with `splitting`, so they stay lazy.
 *
 * Size is start-up time: V8 parses the whole bundle before the first line runs. Three things keep it
 * small (2,598 → 777 KiB; importing the bundle until the action fails fast on a missing event went
 * from a median of 0.365 to 0.26 s, 10 alternating runs of `node -e "import('dist/action/index.js')"`):
 * - whitespace and syntax minification (identifiers are kept: stack traces and profiles stay
 *   readable, and the linked source map maps them back);
 * - zod is imported as a namespace (`import * as z from 'zod'`, as its docs advise), which esbuild
 *   tree-shakes; `import { z }` kept all of zod (≈ 580 KiB);
 * - `@actions/http-client` (with undici, ≈ 770 KiB) is replaced, for imports from `@actions/core`
 *   only, by a stub that throws: core imports it eagerly for `getIDToken` (OIDC), which codeidx never
 *   calls. `@actions/cache` and `@actions/github` stay external and load the real client.
 *
 *   node scripts/bundle-action.mjs                 # writes dist/action/{index,embed-worker}.js + chunks/*.js
 *   node scripts/bundle-action.mjs --outdir DIR    # elsewhere (tests); DIR must sit two levels below the
 *                                                  # package root, as dist/action does (models/, node_modules/)
 */
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages not bundled (see the module comment). */
export const EXTERNAL = [
  'better-sqlite3',
  'sqlite-vec',
  'onnxruntime-node',
  'web-tree-sitter',
  '@repomix/tree-sitter-wasms',
  'piscina',
  '@actions/cache',
  '@actions/github',
  '@qdrant/js-client-rest',
];

/** Source of the stub of `@actions/http-client` inside `@actions/core` (see the module comment). */
export const HTTP_CLIENT_STUB = `
const unavailable = () => new Error('codeidx: the OIDC client of @actions/core (getIDToken) is not bundled');
export class HttpClient { constructor() { throw unavailable(); } }
export class BearerCredentialHandler { constructor() { throw unavailable(); } }
`;

/** esbuild plugin: resolves `@actions/http-client[/lib/auth]` imported by `@actions/core` to the stub. */
const stubCoreHttpClient = {
  name: 'stub-core-http-client',
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client(\/lib\/auth)?$/ }, (args) =>
      /[\\/]@actions[\\/]core[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'codeidx-stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'codeidx-stub' }, () => ({
      contents: HTTP_CLIENT_STUB,
      loader: 'js',
    }));
  },
};

const { values } = parseArgs({
  options: { outdir: { type: 'string', default: join(root, 'dist', 'action') } },
});
const outdir = resolve(values.outdir);
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
const result = await build({
  // The embedding worker (WorkerEmbedder) is started from `embed-worker.js` beside the entry.
  entryPoints: {
    index: join(root, 'src', 'action', 'index.ts'),
    'embed-worker': join(root, 'src', 'adapters', 'onnx', 'embed-worker.ts'),
  },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS dependencies inside an ES module bundle call `require` for Node built-ins.
  banner: {
    js: "import { createRequire as __codeidxCreateRequire } from 'node:module';\nconst require = __codeidxCreateRequire(import.meta.url);",
  },
  plugins: [stubCoreHttpClient],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const kib = outputs.reduce((sum, [, o]) => sum + o.bytes, 0) / 1024;
console.log(
  `bundled the action: ${outputs.length} file(s), ${kib.toFixed(0)} KiB (${join(outdir, 'index.js')})`,
);
