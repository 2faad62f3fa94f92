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
