/**
 * Fills in the line ranges of a hand-written eval suite whose relevant locations name a path and a
 * symbol: the range is the symbol's whole definition, found with the project's chunker (budget 64
 * tokens, no merging, so every function's pieces carry its name; consecutive pieces are joined).
 * A symbol that is not found, or defined twice in one file, is an error naming the query.
 *
 * A location may add `"line": N`, the first line of the meant definition, when a file defines the name
 * twice (e.g. a prototype method and an inner function).
 *
 *   npx tsx scripts/resolve-suite-lines.ts <questions.jsonl> <source-dir> <out.jsonl>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfTokenizer } from '../src/adapters/tokenizer/hf-tokenizer.js';
import { TreeSitterChunker } from '../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { builtinModelDir } from '../src/adapters/static-model/builtin-model.js';
import { classifyFile } from '../src/core/file-filter.js';

const [questions, source, out] = process.argv.slice(2);
if (!questions || !source || !out)
  throw new Error('usage: resolve-suite-lines.ts <questions.jsonl> <source-dir> <out.jsonl>');
const chunker = new TreeSitterChunker({
  tokenCounter: HfTokenizer.fromDirectory(builtinModelDir()),
  maxTokens: 64,
  minTokens: 0,
});
const spans = new Map<string, Map<string, Array<[number, number]>>>();
const fileLinesCache = new Map<string, string[]>();

/** The lines of a source file, read once. */
function linesOf(path: string): string[] {
  let lines = fileLinesCache.get(path);
  if (lines === undefined) {
    lines = readFileSync(join(source, path), 'utf8').split('\n');
    fileLinesCache.set(path, lines);
  }
  return lines;
}

async function spansOf(path: string): Promise<Map<string, Array<[number, number]>>> {
  const cached = spans.get(path);
  if (cached) return cached;
  const c = classifyFile(path, readFileSync(join(source, path)));
  if (c.kind !== 'ok') throw new Error(`${path}: ${c.detail}`);
  const bySymbol = new Map<string, Array<[number, number]>>();
  let prev: { symbol: string | null; header: string; range: [number, number] } | null = null;
  for (const chunk of await chunker.chunk(c.file)) {
    const header = chunk.embedText.slice(0, chunk.embedText.length - chunk.code.length);
    if (prev && chunk.symbol !== null && prev.symbol === chunk.symbol && prev.header === header) {
      prev.range[1] = chunk.endLine;
      continue;
    }
    prev = { symbol: chunk.symbol, header, range: [chunk.startLine, chunk.endLine] };
    if (chunk.symbol !== null) {
      const list = bySymbol.get(chunk.symbol) ?? [];
      list.push(prev.range);
      bySymbol.set(chunk.symbol, list);
    }
  }
  spans.set(path, bySymbol);
  return bySymbol;
}

/** `text` with the characters that are special in a regular expression escaped. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Class fields holding arrow functions (`json = (o) => {…}`), prototype methods
 * (`Reply.prototype.send = function (…) {…}`) and named function expressions (`module.exports =
 * function override (…) {…}`) are not symbols to the chunker: find the assignment
 * line and end at the first later line with the same indentation that closes it.
 */
function fieldSpan(path: string, symbol: string): Array<[number, number]> | undefined {
  const fileLines = linesOf(path);
  const escaped = escapeRegExp(symbol);
  const start = fileLines.findIndex((l) =>
    new RegExp(
      `^\\s*(${escaped}\\s*=\\s*(async\\s*)?\\(|[\\w$.]+\\.prototype\\.${escaped}\\s*=\\s*(async\\s+)?function\\b)|=\\s*(async\\s+)?function\\s*\\*?\\s*${escaped}\\s*\\(`,
    ).test(l),
  );
  if (start < 0) return undefined;
  if (/;\s*$/.test(fileLines[start])) return [[start + 1, start + 1]];
  const indent = /^\s*/.exec(fileLines[start])?.[0] ?? '';
  for (let i = start + 1; i < fileLines.length; i++) {
    if (fileLines[i].startsWith(`${indent}}`)) return [[start + 1, i + 1]];
  }
  return undefined;
}

/**
 * The 1-based line of `symbol`'s definition when the file has exactly one: `function symbol (`, a class
 * or object method `symbol (…) {` (optionally `static`, `async`, `get`, `set`, `*`), or a `const`/`let`/
 * `var` (optionally exported) bound to an arrow function or a function expression; undefined when there
 * is none or more than one.
 */
function definitionLine(path: string, symbol: string): number | undefined {
  const escaped = escapeRegExp(symbol);
  const re = new RegExp(
    `\\bfunction\\s*\\*?\\s*${escaped}\\s*\\(|^\\s*(?:(?:static|async|get|set)\\s+)*\\*?\\s*${escaped}\\s*\\([^)]*\\)\\s*\\{\\s*$` +
      `|^\\s*(?:export\\s+)?(?:const|let|var)\\s+${escaped}\\s*=\\s*(?:async\\s+)?(?:function\\b|\\(|[\\w$]+\\s*=>)`,
  );
  const hits = linesOf(path).flatMap((l, i) => (re.test(l) ? [i + 1] : []));
  return hits.length === 1 ? hits[0] : undefined;
}

/**
 * Most lines between a definition's own line and its first piece named after it: the chunker names a
 * piece after the innermost named scope, so a function whose opening lines hold a nested arrow function
 * (`const clean = (v) => …`) starts with a piece named after that inner function.
 */
const MAX_HEAD_GAP = 40;

const lines: string[] = [];
for (const raw of readFileSync(questions, 'utf8').split('\n')) {
  if (raw.trim() === '') continue;
  const q = JSON.parse(raw) as {
    id: string;
    query: string;
    relevant: Array<{ path: string; symbol: string; line?: number }>;
  };
  const relevant = [];
  for (const r of q.relevant) {
    // `line` (optional): the first line of the meant definition, when the file has two of that name.
    const chunked = (await spansOf(r.path)).get(r.symbol);
    const found =
      r.line === undefined
        ? (chunked ?? fieldSpan(r.path, r.symbol))
        : [...(fieldSpan(r.path, r.symbol) ?? []), ...(chunked ?? [])]
            .filter(([start]) => start === r.line)
            .slice(0, 1);
    if (!found || found.length === 0) throw new Error(`${q.id}: ${r.symbol} not found in ${r.path}`);
    // The definition's own line, when the file has exactly one (see definitionLine).
    const head = definitionLine(r.path, r.symbol);
    // Pieces of one definition can be interrupted by nested symbols (a doc comment, inner closures):
    // join them, but refuse pieces so far apart that they must be two definitions — unless the name is
    // defined once, at or shortly before the first piece (a long function whose nested closures are
    // chunks of their own).
    const definedOnce = head !== undefined && head >= found[0][0] - MAX_HEAD_GAP && head <= found[0][1];
    for (let i = 1; i < found.length; i++) {
      if (found[i][0] - found[i - 1][1] > 40 && !definedOnce)
        throw new Error(
          `${q.id}: ${r.symbol} is defined more than once in ${r.path}: ${JSON.stringify(found)}`,
        );
    }
    // Start at the definition's own line when its first piece is named after a nested function.
    const startLine =
      r.line === undefined && head !== undefined && head < found[0][0] && found[0][0] - head <= MAX_HEAD_GAP
        ? head
        : found[0][0];
    relevant.push({
      path: r.path,
      startLine,
      endLine: found[found.length - 1][1],
      symbol: r.symbol,
    });
  }
  lines.push(JSON.stringify({ id: q.id, query: q.query, relevant }));
}
writeFileSync(out, `${lines.join('\n')}\n`);
process.stderr.write(`wrote ${lines.length} queries to ${out}\n`);
