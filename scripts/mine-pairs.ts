/**
 * Mines (docstring, code) pairs for training and evaluating `codeidx-static`, with the project's own
 * walker (`openSourceReader`), file filter (`classifyFile`) and chunker (`TreeSitterChunker`).
 *
 *   npx tsx scripts/mine-pairs.ts [--out .data] [--limit-units N] [--valid-suite] [--train-suite] [--npm-only FILE] [--suite1 FILE]
 *   npx tsx scripts/mine-pairs.ts --extra go                    # → pairs/extra-go.jsonl
 *   npx tsx scripts/mine-pairs.ts --extra python,npm [--npm-root /tmp/corpus/node_modules]
 *
 * `--extra` mines training-only pairs from extra permissively licensed sources, all written as train
 * pairs (valid, test, the eval corpus and suite 1 are not touched) and deduplicated against every
 * pair of train/valid/test.jsonl:
 * - Go libraries of the installed Debian golang-*-dev packages (/usr/share/gocode/src) whose DEP-5
 *   copyright file says BSD/MIT(Expat)/Apache-2.0/ISC; generated trees (go-playground/locales,
 *   aws-sdk-go/service) skipped;
 * - Python packages in /usr/lib/python3/dist-packages whose Debian package (dpkg-query -S) has such a
 *   licence (python3-numpy read by hand: BSD-3-Clause); vendored sub-packages (_vendor, …) skipped;
 * - npm packages under --npm-root (scripts/static-model/npm-corpus pins them), licence from package.json.
 *
 * Sources (all permissively licensed, all installable here; see models/codeidx-static/MODEL_CARD.md):
 * - Go standard library, /usr/share/go-1.19/src (Debian golang-1.19-src; BSD-3-Clause)
 * - Python standard library, /usr/lib/python3.11 (PSF-2.0)
 * - npm packages in node_modules whose package.json licence is MIT, ISC, BSD-2/3-Clause, 0BSD or
 *   Apache-2.0, except hono (the held-out repository of eval suite 2).
 * openjdk-17-source is not used: GPL-2.0 with the Classpath Exception is not a permissive licence.
 *
 * A pair is one function/method chunk (chunker with minTokens 0, so functions are not merged) that
 * starts with a doc comment (Go, JS/TS) or holds a docstring (Python). The query is the first
 * paragraph of the doc (JSDoc tags dropped; a leading Go-style "Name " dropped so the query does not
 * quote the identifier); the code side is the chunk's embedded text (path/scope header + code) with
 * the doc removed. Pairs are deduplicated by normalised code and by normalised docstring; units
 * (Go package directory, Python top-level module, npm package) are split 85/5/10 into
 * train/valid/test by a hash of their name, never by function.
 *
 * Outputs (gitignored, under --out):
 * - pairs/{train,valid,test}.jsonl: {id, source, unit, split, language, path, symbol, query, code,
 *   queryIds, codeIds} with token ids of the codeidx-static tokenizer (queries ≤ 64, code ≤ 256 tokens).
 * - eval-corpus/: every source file of the test units, with the mined docstrings removed (suite 1 index).
 * - eval/suite1-heldout.jsonl (written to the repo's eval/ directory): a seeded sample of test pairs
 *   as eval queries whose relevant location is the function in eval-corpus.
 * - with `--valid-suite`, also a model-selection suite built the same way from the valid split:
 *   valid-corpus/ (every source file of the valid units, mined docstrings removed) and
 *   suite-valid.jsonl (every valid pair as a query; under --out, never in eval/). Suites 1 and 2 are
 *   test data; candidates are compared on this suite.
 * - with `--train-suite`, the same from the train split: train-corpus/ and suite-train.jsonl, whose
 *   dump (scripts/static-model/dump-suite.ts) gives `train-static-model.py --file-negs` the neighbours
 *   of each training function as the suites index them. Mine it into another --out (with --suite1
 *   FILE) to leave .data and eval/ as they are.
 * - base npm units are only the packages listed in scripts/static-model/npm-base-packages.txt (one a
 *   line; `--npm-only FILE` names another list): the top-level packages of the package-lock.json the
 *   committed suite 1 was mined from, so that the splits and suite 1 are reproduced byte for byte after
 *   dependencies were added to the project; `--suite1 FILE` writes suite 1 to FILE instead of
 *   eval/suite1-heldout.jsonl.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openSourceReader } from '../src/adapters/fs/open-source-reader.js';
import { HfTokenizer } from '../src/adapters/tokenizer/hf-tokenizer.js';
import { TreeSitterChunker } from '../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { embedHeader } from '../src/core/build-chunk.js';
import { classifyFile } from '../src/core/file-filter.js';
import type { Chunk } from '../src/core/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_DIR = join(ROOT, 'models', 'codeidx-static');
const MAX_QUERY_TOKENS = 64;
const MAX_CODE_TOKENS = 256;
const SUITE1_SIZE = 500;
const PERMISSIVE = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'Apache-2.0', 'BlueOak-1.0.0', 'Python-2.0']);
/** Held out of training: suite 2 asks questions about hono. */
const EXCLUDED_NPM = /^(hono|@hono\/.*|hono-.*)$/;

type Split = 'train' | 'valid' | 'test';

interface Unit {
  readonly source: 'go' | 'python' | 'npm';
  /** Extra (train-only) source: skip vendored copies inside it. */
  readonly extra?: boolean;
  /** Unit name, e.g. "go:net/http", "python:email", "npm:zod". */
  readonly name: string;
  /** Absolute directory of the tree to walk. */
  readonly root: string;
  /** Prefix of paths in the eval corpus and in pair ids. */
  readonly prefix: string;
  /** Only files directly in root (Go packages are directories; sub-directories are other units). */
  readonly shallow: boolean;
}

interface Pair {
  id: string;
  source: string;
  unit: string;
  split: Split;
  language: string;
  path: string;
  symbol: string;
  query: string;
  code: string;
  /** 1-based inclusive lines of the function in the eval-corpus copy (docstrings removed). */
  startLine: number;
  endLine: number;
}

/** Deterministic split of a unit by its name: 85% train, 5% valid, 10% test. */
export function splitOf(unitName: string): Split {
  const h = createHash('sha256').update(unitName).digest().readUInt32BE(0) / 2 ** 32;
  return h < 0.1 ? 'test' : h < 0.15 ? 'valid' : 'train';
}

function goUnits(): Unit[] {
  const src = '/usr/share/go-1.19/src';
  if (!existsSync(src)) return [];
  const units: Unit[] = [];
  const visit = (rel: string): void => {
    const abs = join(src, rel);
    const entries = readdirSync(abs, { withFileTypes: true });
    if (rel !== '' && entries.some((e) => e.isFile() && e.name.endsWith('.go'))) {
      units.push({ source: 'go', name: `go:${rel}`, root: abs, prefix: `go/${rel}`, shallow: true });
    }
    for (const e of entries) {
      if (e.isDirectory() && !['testdata', 'vendor'].includes(e.name) && !e.name.startsWith('.')) {
        visit(rel === '' ? e.name : `${rel}/${e.name}`);
      }
    }
  };
  visit('');
  return units;
}

function pythonUnits(): Unit[] {
  const lib = '/usr/lib/python3.11';
  if (!existsSync(lib)) return [];
  const skip = new Set(['test', 'tests', 'idlelib', 'lib2to3', 'site-packages', 'dist-packages', 'config-3.11-x86_64-linux-gnu', '__pycache__', 'turtledemo', 'pydoc_data', 'ensurepip']);
  const units: Unit[] = [];
  for (const e of readdirSync(lib, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (skip.has(e.name) || e.name.startsWith('_')) continue;
    if (e.isDirectory()) units.push({ source: 'python', name: `python:${e.name}`, root: join(lib, e.name), prefix: `python/${e.name}`, shallow: false });
  }
  // Top-level modules are one unit each, walked as a one-file tree below.
  for (const e of readdirSync(lib, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.py') && !e.name.startsWith('_') && !e.name.startsWith('test')) {
      const name = e.name.slice(0, -3);
      units.push({ source: 'python', name: `python:${name}`, root: join(lib, e.name), prefix: 'python', shallow: true });
    }
  }
  return units;
}

function npmUnits(nm = join(ROOT, 'node_modules'), extra = false): Unit[] {
  const units: Unit[] = [];
  const names: string[] = [];
  for (const e of readdirSync(nm)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@')) for (const s of readdirSync(join(nm, e))) names.push(`${e}/${s}`);
    else names.push(e);
  }
  for (const name of names.sort()) {
    if (EXCLUDED_NPM.test(name) || name.startsWith('@types/') || name === 'typescript') continue;
    const pkgPath = join(nm, name, 'package.json');
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { license?: unknown; version?: string };
    if (typeof pkg.license !== 'string' || !PERMISSIVE.has(pkg.license)) continue;
    units.push({ source: 'npm', name: `npm:${name}`, root: join(nm, name), prefix: `npm/${name}`, shallow: false, extra });
  }
  return units;
}

/** Debian licence names (DEP-5 `License:` of the `Files: *` stanza) accepted as permissive. */
const PERMISSIVE_DEBIAN = /^(BSD-[23](-clause)?|Expat|MIT|Apache(-2(\.0)?)?|ISC|PSF-2(\.0)?|Python-2\.0)(~\w+)?$/i;

/** Accepts "A or B" / "A and B" when every part is permissive. */
const isPermissiveDebian = (lic: string | null): boolean => lic !== null && lic.split(/\s+(?:or|and)\s+|\//).every((p) => PERMISSIVE_DEBIAN.test(p.trim()));

/**
 * Debian packages whose copyright file is not machine-readable, read by hand: python3-numpy states
 * the 3-clause BSD licence of the NumPy Developers.
 */
const DEBIAN_LICENSE_OVERRIDES: Readonly<Record<string, string>> = { 'python3-numpy': 'BSD-3-clause' };

/**
 * Licence of an installed Debian package: the `License:` of the `Files: *` stanza of
 * /usr/share/doc/<pkg>/copyright (DEP-5), or null when the file is missing or not machine-readable.
 */
export function debianLicense(pkg: string): string | null {
  if (DEBIAN_LICENSE_OVERRIDES[pkg] !== undefined) return DEBIAN_LICENSE_OVERRIDES[pkg];
  const path = `/usr/share/doc/${pkg}/copyright`;
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const m = /^Files:\s*\*\s*$(?:\n(?!\n).*)*?\nLicense:\s*([^\n]+)/m.exec(text);
  return m ? m[1].trim() : null;
}

/** Generated Go packages left out of the extra data (per-locale tables, generated API clients). */
const GENERATED_GO = /^github\.com\/go-playground\/locales(\/|$)|^github\.com\/aws\/aws-sdk-go\/service(\/|$)/;

/**
 * Extra training-only Go units: package directories of the installed Debian golang-*-dev packages
 * whose licence is permissive (checked in each package's copyright file), under /usr/share/gocode/src.
 */
function debianGoUnits(): Unit[] {
  const info = '/var/lib/dpkg/info';
  const units = new Map<string, Unit>();
  for (const f of readdirSync(info).filter((n) => /^golang-.*-dev\.list$/.test(n)).sort()) {
    const pkg = f.slice(0, -'.list'.length);
    const lic = debianLicense(pkg);
    if (!isPermissiveDebian(lic)) {
      process.stderr.write(`skip ${pkg}: licence ${lic ?? 'unknown'}\n`);
      continue;
    }
    for (const line of readFileSync(join(info, f), 'utf8').split('\n')) {
      const m = /^\/usr\/share\/gocode\/src\/(.+)\/[^/]+\.go$/.exec(line);
      if (!m || /(^|\/)(testdata|vendor|internal\/testenv)(\/|$)/.test(m[1]) || line.endsWith('_test.go')) continue;
      // Generated trees: ~14,500 near-identical per-locale methods would swamp the real libraries.
      if (GENERATED_GO.test(m[1])) continue;
      const rel = m[1];
      if (!units.has(rel)) units.set(rel, { source: 'go', name: `go:${rel}`, root: `/usr/share/gocode/src/${rel}`, prefix: `go/${rel}`, shallow: true, extra: true });
    }
  }
  return [...units.values()];
}

/**
 * Extra training-only Python units: packages in /usr/lib/python3/dist-packages whose Debian package
 * (dpkg -S) has a permissive licence; one unit per first-level sub-package plus one for the package's
 * own files (so one huge package such as sympy is not one unit).
 */
function debianPythonUnits(): Unit[] {
  const dist = '/usr/lib/python3/dist-packages';
  const units: Unit[] = [];
  for (const e of readdirSync(dist, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('_') || e.name.includes('.') || e.name.includes('-')) continue;
    let pkg: string;
    try {
      pkg = execFileSync('dpkg-query', ['-S', join(dist, e.name)], { encoding: 'utf8' }).split(':')[0].split(',')[0].trim();
    } catch {
      continue;
    }
    const lic = debianLicense(pkg);
    if (!isPermissiveDebian(lic)) {
      process.stderr.write(`skip ${e.name} (${pkg}): licence ${lic ?? 'unknown'}\n`);
      continue;
    }
    const root = join(dist, e.name);
    units.push({ source: 'python', name: `pydist:${e.name}`, root, prefix: `pydist/${e.name}`, shallow: true, extra: true });
    for (const s of readdirSync(root, { withFileTypes: true })) {
      // Vendored copies (pip/_vendor, setuptools/_distutils, …) carry other licences and duplicate other units.
      if (s.isDirectory() && !s.name.startsWith('.') && !['__pycache__', '_vendor', 'vendor', '_distutils', 'third_party', 'thirdparty', 'tests', 'testing'].includes(s.name)) {
        units.push({ source: 'python', name: `pydist:${e.name}/${s.name}`, root: join(root, s.name), prefix: `pydist/${e.name}/${s.name}`, shallow: false, extra: true });
      }
    }
  }
  return units;
}

/** Files of a unit: [relative path, bytes]. Uses the project's walker (ignore rules, vendor folders). */
async function unitFiles(unit: Unit): Promise<Array<[string, Uint8Array]>> {
  if (unit.root.endsWith('.py')) return [[unit.root.slice(unit.root.lastIndexOf('/') + 1), readFileSync(unit.root)]];
  const reader = await openSourceReader(unit.root);
  const listing = await reader.listFiles();
  const out: Array<[string, Uint8Array]> = [];
  for (const f of listing.files) {
    if (unit.shallow && f.path.includes('/')) continue;
    if (unit.extra && /(^|\/)(_vendor|vendor|_distutils|third_party|thirdparty|node_modules)\//.test(f.path)) continue;
    if (unit.extra && /\.min\.js$|(^|\/)(dist\/.*\.(umd|browser|bundle)|bundles?\/)/.test(f.path)) continue;
    if (/(^|\/)(test|tests|__tests__|testdata|fixtures?)\//.test(f.path) || /_test\.go$|\.test\.[jt]s$|\.spec\.[jt]s$|\.d\.[cm]?ts$/.test(f.path)) continue;
    if (unit.source === 'npm' && !/\.(m?js|cjs|ts|mts|cts)$/.test(f.path)) continue;
    if (unit.source === 'go' && !f.path.endsWith('.go')) continue;
    if (unit.source === 'python' && !f.path.endsWith('.py')) continue;
    out.push([f.path, await reader.readFile(f.path)]);
  }
  return out;
}

/** The parts of a chunk the miner reads. */
interface Span {
  readonly symbol: string | null;
  readonly symbolKind: Chunk['symbolKind'];
  readonly startLine: number;
  readonly endLine: number;
  readonly code: string;
  /** embedText minus code: the path/scope header. */
  readonly header: string;
}

/**
 * Joins consecutive chunks of one function back together: a function longer than the chunk budget
 * is split into pieces that share its symbol and scope header, and the pair's code side is the whole
 * function (the tokenizer later truncates it to MAX_CODE_TOKENS).
 */
function functionSpans(chunks: readonly Chunk[], fileLines: readonly string[]): Span[] {
  const spans: Span[] = [];
  for (const c of chunks) {
    const header = c.embedText.slice(0, c.embedText.length - c.code.length);
    const prev = spans[spans.length - 1];
    if (prev && c.symbol !== null && prev.symbol === c.symbol && prev.symbolKind === c.symbolKind && prev.header === header) {
      spans[spans.length - 1] = { ...prev, endLine: c.endLine, code: fileLines.slice(prev.startLine - 1, c.endLine).join('\n') };
    } else {
      spans.push({ symbol: c.symbol, symbolKind: c.symbolKind, startLine: c.startLine, endLine: c.endLine, code: c.code, header });
    }
  }
  return spans;
}

/** A doc found in a chunk: its text and the 0-based line range (within the chunk code) it spans. */
interface FoundDoc {
  readonly raw: string;
  readonly first: number;
  readonly last: number;
}

/** Leading `//` lines or one `/** … *\/` block at the top of a chunk, directly followed by code. */
function leadingComment(lines: readonly string[]): FoundDoc | null {
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const start = i;
  if (i >= lines.length) return null;
  if (lines[i].trim().startsWith('/**')) {
    while (i < lines.length && !lines[i].includes('*/')) i++;
    if (i >= lines.length) return null;
  } else if (lines[i].trim().startsWith('//')) {
    while (i + 1 < lines.length && lines[i + 1].trim().startsWith('//')) i++;
  } else {
    return null;
  }
  const next = lines[i + 1];
  if (next === undefined || next.trim() === '' || next.trim().startsWith('/')) return null;
  return { raw: lines.slice(start, i + 1).join('\n'), first: start, last: i };
}

/** The docstring of the first `def` in a Python chunk. */
function pythonDocstring(lines: readonly string[]): FoundDoc | null {
  let i = 0;
  while (i < lines.length && !/^\s*(async\s+)?def\s/.test(lines[i])) {
    if (!/^\s*(@|#|$)/.test(lines[i])) return null;
    i++;
  }
  // Signature: up to the line ending the header with ":" (bounded).
  let j = i;
  while (j < lines.length && j < i + 12 && !/\)\s*(->[^:]*)?:\s*(#.*)?$/.test(lines[j])) j++;
  j++;
  if (j >= lines.length) return null;
  const m = /^\s*[rRuU]?("""|''')/.exec(lines[j]);
  if (!m) return null;
  const quote = m[1];
  let k = j;
  const opened = lines[j].indexOf(quote) + 3;
  if (!lines[j].slice(opened).includes(quote)) {
    k++;
    while (k < lines.length && !lines[k].includes(quote)) k++;
    if (k >= lines.length) return null;
  }
  return { raw: lines.slice(j, k + 1).join('\n'), first: j, last: k };
}

/** First paragraph of a doc comment/docstring as plain text, or null when it is not a usable query. */
export function cleanDoc(raw: string, symbol: string): string | null {
  let text = raw
    .replace(/^\s*[rRuU]?("""|''')|("""|''')\s*$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*(\/\*\*?|\*\/|\*(?!\/)|\/\/+)\s?/, '').replace(/\*\/\s*$/, '').trim())
    .join('\n');
  // Stop at JSDoc tags, reST fields, Google/NumPy sections, examples.
  const stop = text.search(/^(@\w|:param|:return|:raises|Args:|Arguments:|Returns?:|Raises:|Parameters\n|Example|Usage:|>>>|```)/m);
  if (stop >= 0) text = text.slice(0, stop);
  const para = (text.trim().split(/\n\s*\n/)[0] ?? '').replace(/\s+/g, ' ').trim();
  let q = para.replace(/\{@link(?:code|plain)?\s+([^}|\s]+)[^}]*\}/g, '$1');
  // Go convention "Foo does X": drop the name so the query describes behaviour, not the identifier.
  const bare = symbol.replace(/^.*[.#]/, '');
  if (bare.length > 0 && (q.startsWith(`${bare} `) || q.startsWith(`${bare}'s `))) q = q.slice(bare.length).trim();
  q = q.replace(/^(A|An|The)\s+/, (m) => m);
  const words = q.split(/\s+/).filter((w) => /[\p{L}]/u.test(w));
  if (words.length < 3 || words.length > 80) return null;
  if (/^(deprecated|todo|fixme|xxx|copyright|license|eslint|istanbul|@ts-|prettier|noinspection|private|internal use|see )/i.test(q)) return null;
  if (/(generated|auto-generated|do not edit)/i.test(q)) return null;
  return q;
}

const normCode = (s: string): string => s.replace(/\s+/g, ' ').trim();
const normDoc = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Writes pairs as an eval suite: one {query, relevant: [{path, startLine, endLine, symbol}]} a line. */
function writeSuite(path: string, pairs: readonly Pair[]): void {
  writeFileSync(
    path,
    pairs.map((p) => JSON.stringify({ query: p.query, relevant: [{ path: p.path, startLine: p.startLine, endLine: p.endLine, symbol: p.symbol }] })).join('\n') + '\n',
  );
}

/** Seeded PRNG (mulberry32) for the suite-1 sample. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outArg = args.indexOf('--out');
  const out = resolve(outArg >= 0 ? (args[outArg + 1] ?? '.data') : join(ROOT, '.data'));
  const limitArg = args.indexOf('--limit-units');
  const limit = limitArg >= 0 ? Number(args[limitArg + 1]) : Infinity;
  // --extra go,python,npm: mine only the extra training sources (Debian Go libraries, Debian Python
  // packages, npm packages under --npm-root) into pairs/extra-<sources>.jsonl, all as train pairs,
  // deduplicated against the existing train/valid/test pairs. The eval corpus, suite 1 and the
  // train/valid/test files are left untouched.
  const extraArg = args.indexOf('--extra');
  const extra = extraArg >= 0 ? (args[extraArg + 1] ?? '').split(',').filter((x) => x !== '') : null;
  const npmRootArg = args.indexOf('--npm-root');
  const validSuite = args.includes('--valid-suite');
  // --train-suite: the same for the train split (train-corpus/, suite-train.jsonl): the chunks a suite
  // ranks a query against, most of them undocumented code, for training with suite-like negatives.
  const trainSuite = args.includes('--train-suite');
  const npmOnlyArg = args.indexOf('--npm-only');
  // Base npm units: the packages listed in scripts/static-model/npm-base-packages.txt (the top-level
  // packages of the package-lock.json suite 1 was mined from), so that dependencies added to the
  // project later do not move units between splits and change the seeded suite 1.
  const npmOnlyFile = npmOnlyArg >= 0 ? resolve(args[npmOnlyArg + 1] ?? '') : join(ROOT, 'scripts', 'static-model', 'npm-base-packages.txt');
  const npmOnly = new Set(readFileSync(npmOnlyFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  const suite1Arg = args.indexOf('--suite1');
  const suite1Path = suite1Arg >= 0 ? resolve(args[suite1Arg + 1] ?? '') : join(ROOT, 'eval', 'suite1-heldout.jsonl');
  const npmRoot = npmRootArg >= 0 ? resolve(args[npmRootArg + 1] ?? '') : '/tmp/corpus/node_modules';
  if (!existsSync(join(MODEL_DIR, 'tokenizer.json'))) {
    throw new Error(`${MODEL_DIR}/tokenizer.json is missing: run scripts/static-model/write-tokenizer.ts first`);
  }
  const tokenizer = HfTokenizer.fromDirectory(MODEL_DIR);
  const chunker = new TreeSitterChunker({ tokenCounter: tokenizer, maxTokens: MAX_CODE_TOKENS, minTokens: 0 });
  const corpus = join(out, 'eval-corpus');
  mkdirSync(join(out, 'pairs'), { recursive: true });
  const validCorpus = join(out, 'valid-corpus');
  if (extra === null) rmSync(corpus, { recursive: true, force: true });
  if (extra === null && validSuite) rmSync(validCorpus, { recursive: true, force: true });
  const trainCorpus = join(out, 'train-corpus');
  if (extra === null && trainSuite) rmSync(trainCorpus, { recursive: true, force: true });

  // Test units first: a duplicate of a test pair is dropped from train, never the reverse.
  const order: Record<Split, number> = { test: 0, valid: 1, train: 2 };
  const extraUnits = (): Unit[] => [
    ...(extra?.includes('go') ? debianGoUnits() : []),
    ...(extra?.includes('python') ? debianPythonUnits() : []),
    ...(extra?.includes('npm') ? npmUnits(npmRoot, true) : []),
  ];
  const units = (extra !== null ? extraUnits() : [...goUnits(), ...pythonUnits(), ...npmUnits().filter((u) => npmOnly.has(u.name.slice('npm:'.length)))])
    .slice(0, limit)
    .sort((a, b) => order[splitOf(a.name)] - order[splitOf(b.name)] || a.name.localeCompare(b.name));
  const streams: Record<Split, WriteStream> =
    extra !== null
      ? { train: createWriteStream(join(out, 'pairs', `extra-${extra.join('-')}.jsonl`)), valid: createWriteStream('/dev/null'), test: createWriteStream('/dev/null') }
      : {
          train: createWriteStream(join(out, 'pairs', 'train.jsonl')),
          valid: createWriteStream(join(out, 'pairs', 'valid.jsonl')),
          test: createWriteStream(join(out, 'pairs', 'test.jsonl')),
        };
  const seenCode = new Set<string>();
  const seenDoc = new Set<string>();
  if (extra !== null) {
    // Extra pairs never duplicate a mined train/valid/test pair (same keys as below).
    for (const split of ['test', 'valid', 'train'] as const) {
      for (const line of readFileSync(join(out, 'pairs', `${split}.jsonl`), 'utf8').split('\n')) {
        if (line === '') continue;
        const r = JSON.parse(line) as { query: string; code: string };
        seenDoc.add(sha(normDoc(r.query)));
        seenCode.add(sha(normCode(r.code.replace(/^path: [^\n]*\n(?:scope: [^\n]*\n)?\n/, ''))));
      }
    }
  }
  const counts: Record<string, number> = {};
  const testPairs: Pair[] = [];
  const validPairs: Pair[] = [];
  const trainPairs: Pair[] = [];
  let files = 0;
  const t0 = performance.now();
  for (const [ui, unit] of units.entries()) {
    // Extra sources are training data only: valid and test stay exactly as mined from the base sources.
    const split: Split = extra !== null ? 'train' : splitOf(unit.name);
    for (const [rel, bytes] of await unitFiles(unit)) {
      const path = `${unit.prefix}/${rel}`;
      const c = classifyFile(path, bytes);
      if (c.kind !== 'ok') continue;
      files++;
      let chunks: Chunk[];
      try {
        chunks = await chunker.chunk(c.file);
      } catch {
        continue;
      }
      const fileLines = c.file.text.split('\n');
      const removed = new Set<number>(); // 0-based file lines of mined docstrings
      const filePairs: Array<{ pair: Pair; fnFirst: number; fnLast: number }> = [];
      for (const chunk of functionSpans(chunks, fileLines)) {
        if ((chunk.symbolKind !== 'function' && chunk.symbolKind !== 'method') || chunk.symbol === null) continue;
        if (/^(test|Test|Benchmark|Example|Fuzz)/.test(chunk.symbol)) continue;
        const lines = chunk.code.split('\n');
        const doc = c.file.language === 'python' ? pythonDocstring(lines) : leadingComment(lines);
        if (!doc) continue;
        // The doc must belong to the chunk's own symbol: its definition line follows (Go/JS/TS) or
        // precedes (Python) the doc and names the symbol. Inner pieces of split functions fail this.
        const defLine = c.file.language === 'python' ? lines.slice(0, doc.first).find((l) => /^\s*(async\s+)?def\s/.test(l)) : lines[doc.last + 1];
        const bareName = chunk.symbol.replace(/^.*[.#]/, '');
        if (defLine === undefined || !new RegExp(`(^|[^\\w$])${bareName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w$]|$)`).test(defLine)) continue;
        const query = cleanDoc(doc.raw, chunk.symbol);
        if (query === null) continue;
        const codeLines = [...lines.slice(0, doc.first), ...lines.slice(doc.last + 1)];
        if (codeLines.filter((l) => l.trim() !== '').length < 3) continue;
        const code = codeLines.join('\n');
        const kc = sha(normCode(code));
        const kd = sha(normDoc(query));
        if (seenCode.has(kc) || seenDoc.has(kd)) {
          counts.duplicates = (counts.duplicates ?? 0) + 1;
          continue;
        }
        seenCode.add(kc);
        seenDoc.add(kd);
        const scopeMatch = /\nscope: ([^\n]*)\n/.exec(chunk.header);
        const embedText = embedHeader(path, scopeMatch ? scopeMatch[1] : null) + code;
        const fnFirst = chunk.startLine - 1 + (doc.first === 0 ? doc.last + 1 : 0);
        const fnLast = chunk.endLine - 1;
        for (let l = doc.first; l <= doc.last; l++) removed.add(chunk.startLine - 1 + l);
        const pair: Pair = {
          id: sha(`${path}:${chunk.startLine}:${chunk.symbol}`),
          source: unit.source,
          unit: unit.name,
          split,
          language: c.file.language,
          path,
          symbol: chunk.symbol,
          query,
          code: embedText,
          startLine: 0,
          endLine: 0,
        };
        filePairs.push({ pair, fnFirst, fnLast });
      }
      // Line numbers in the copy with docstrings removed.
      const shift = new Int32Array(fileLines.length + 1);
      for (let l = 0; l < fileLines.length; l++) shift[l + 1] = shift[l] + (removed.has(l) ? 1 : 0);
      for (const { pair, fnFirst, fnLast } of filePairs) {
        pair.startLine = fnFirst - shift[fnFirst] + 1;
        pair.endLine = fnLast - shift[fnLast] + 1;
        const record = {
          ...pair,
          queryIds: tokenizer.encode(pair.query, MAX_QUERY_TOKENS).ids,
          codeIds: tokenizer.encode(pair.code, MAX_CODE_TOKENS).ids,
        };
        streams[split].write(`${JSON.stringify(record)}\n`);
        counts[`${split}:${unit.source}`] = (counts[`${split}:${unit.source}`] ?? 0) + 1;
        if (split === 'test') testPairs.push(pair);
        if (split === 'valid' && extra === null) validPairs.push(pair);
        if (split === 'train' && extra === null) trainPairs.push(pair);
      }
      if (split === 'test') {
        const target = join(corpus, path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, fileLines.filter((_, l) => !removed.has(l)).join('\n'));
      }
      if ((split === 'valid' && validSuite && extra === null) || (split === 'train' && trainSuite && extra === null)) {
        const target = join(split === 'valid' ? validCorpus : trainCorpus, path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, fileLines.filter((_, l) => !removed.has(l)).join('\n'));
      }
    }
    if (ui % 50 === 0) process.stderr.write(`${ui}/${units.length} units, ${files} files, ${Math.round((performance.now() - t0) / 1000)} s ${JSON.stringify(counts)}\n`);
  }
  await Promise.all(Object.values(streams).map((s) => new Promise<void>((r) => s.end(r))));
  await chunker.dispose();
  if (extra !== null) {
    process.stderr.write(`${JSON.stringify({ extra, units: units.length, files, counts, seconds: Math.round((performance.now() - t0) / 1000) })}\n`);
    return;
  }

  // Suite 1: a seeded sample of held-out pairs.
  const rand = mulberry32(20240611);
  const sample = [...testPairs];
  for (let i = sample.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sample[i], sample[j]] = [sample[j], sample[i]];
  }
  const chosen = sample.slice(0, SUITE1_SIZE).sort((a, b) => a.id.localeCompare(b.id));
  mkdirSync(dirname(suite1Path), { recursive: true });
  writeSuite(suite1Path, chosen);
  if (validSuite) {
    // Model-selection suite: every valid pair, same record shape as suite 1, kept out of eval/.
    const valid = [...validPairs].sort((a, b) => a.id.localeCompare(b.id));
    writeSuite(join(out, 'suite-valid.jsonl'), valid);
    process.stderr.write(`wrote ${join(out, 'suite-valid.jsonl')} (${valid.length} queries) and ${validCorpus}\n`);
  }
  if (trainSuite) {
    const train = [...trainPairs].sort((a, b) => a.id.localeCompare(b.id));
    writeSuite(join(out, 'suite-train.jsonl'), train);
    process.stderr.write(`wrote ${join(out, 'suite-train.jsonl')} (${train.length} queries) and ${trainCorpus}\n`);
  }
  const summary = { units: units.length, files, counts, testPairs: testPairs.length, suite1: chosen.length, seconds: Math.round((performance.now() - t0) / 1000) };
  writeFileSync(join(out, 'pairs', 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`${JSON.stringify(summary)}\n`);
}

await main();
