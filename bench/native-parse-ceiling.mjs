/**
 * Parse-only throughput of the NATIVE tree-sitter binding on Go files, to compare with
 * `measureParseOnly` of bench/chunk-throughput.ts (web-tree-sitter). codeidx does not depend on the
 * native packages; install them in a scratch folder and run this file from there:
 *
 *   mkdir /tmp/nts && cd /tmp/nts && npm init -y && npm install tree-sitter@0.25 tree-sitter-go
 *   cp <codeidx>/bench/native-parse-ceiling.mjs . && node native-parse-ceiling.mjs [dir] [maxFiles]
 *
 * Measured 2026-11-22 on the 2-core benchmark machine, first 2,000 .go files (sorted) of
 * /usr/share/go-1.19/src: native 300 files/s (4.4 MB/s); web-tree-sitter 0.25.8 with
 * @repomix/tree-sitter-wasms on the same files and loop: 205 files/s.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import Go from 'tree-sitter-go';

const dir = process.argv[2] ?? '/usr/share/go-1.19/src';
const max = Number(process.argv[3] ?? 2000);
const files = [];
(function walk(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.go')) files.push(p);
  }
})(dir);
files.sort();
const texts = files.slice(0, max).filter((f) => statSync(f).size < 1_000_000).map((f) => readFileSync(f, 'utf8'));
const parser = new Parser();
parser.setLanguage(Go);
let bytes = 0;
const t0 = performance.now();
for (const text of texts) {
  parser.parse(text, null, { bufferSize: 1 << 20 });
  bytes += text.length;
}
const s = (performance.now() - t0) / 1000;
console.log(`native tree-sitter: ${texts.length} files in ${s.toFixed(2)} s = ${(texts.length / s).toFixed(0)} files/s, ${(bytes / s / 1e6).toFixed(1)} MB/s`);
