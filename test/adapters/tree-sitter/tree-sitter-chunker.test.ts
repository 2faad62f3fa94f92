import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../../src/adapters/tokenizer/hf-tokenizer.js';
import {
  CHUNKER_VERSION,
  TreeSitterChunker,
  grammarPath,
} from '../../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { sha256Hex } from '../../../src/core/identity.js';
import { PARSED_LANGUAGES } from '../../../src/core/languages.js';
import type { Logger, TokenCounter } from '../../../src/core/ports.js';
import { estimateTokens } from '../../../src/core/token-budget.js';
import type { Chunk, SourceFile } from '../../../src/core/types.js';
import { coverageProblems } from './coverage.js';
import { SNIPPETS } from './snippets.js';

const TOKENIZER_DIR = new URL('../../../../shared/models/bert-base-uncased-tokenizer/', import.meta.url)
  .pathname;
const tokenizer = HfTokenizer.fromDirectory(TOKENIZER_DIR);

/** A counter that must not be needed: fails the test if called. */
const noCount: TokenCounter = {
  count: () => {
    throw new Error('exact count not expected');
  },
};

function file(path: string, language: string, text: string): SourceFile {
  return { path, language, text, fileHash: sha256Hex(text) };
}

function summary(chunks: readonly Chunk[]): Array<[string, string | null, number, number]> {
  return chunks.map((c) => [c.symbolKind, c.symbol, c.startLine, c.endLine]);
}

const EXPECTED: Record<string, Array<[string, string | null, number, number]>> = {
  typescript: [
    ['block', null, 1, 1],
    ['block', null, 2, 2],
    ['class', 'UserService', 4, 11],
    ['interface', 'Repo', 13, 15],
    ['type', 'UserId', 17, 17],
    ['enum', 'Role', 19, 22],
    ['function', 'slugify', 24, 24],
    ['namespace', 'Internal', 26, 28],
  ],
  tsx: [
    ['block', null, 1, 1],
    ['function', 'Button', 3, 6],
    ['function', 'Card', 8, 10],
  ],
  javascript: [
    ['block', null, 1, 1],
    ['function', 'add', 3, 5],
    ['class', 'Vector', 7, 16],
    ['block', null, 18, 18],
  ],
  python: [
    ['block', null, 1, 1],
    ['block', null, 2, 2],
    ['class', 'Circle', 5, 12],
    ['function', 'total_area', 15, 17],
  ],
  go: [
    ['block', null, 1, 1],
    ['block', null, 3, 6],
    ['struct', 'Handler', 8, 11],
    ['interface', 'Greeter', 13, 15],
    ['method', 'ServeHTTP', 17, 20],
    ['function', 'New', 22, 24],
  ],
  rust: [
    ['block', null, 1, 1],
    ['struct', 'Point', 3, 7],
    ['impl', 'fmt::Display for Point', 9, 13],
    ['trait', 'Shape', 15, 17],
    ['enum', 'Kind', 19, 22],
    ['module', 'tests', 24, 26],
    ['function', 'origin', 28, 30],
  ],
  java: [
    ['block', null, 1, 1],
    ['block', null, 3, 3],
    ['class', 'Greeter', 5, 17],
    ['interface', 'Named', 19, 21],
    ['enum', 'Level', 23, 23],
  ],
  c: [
    ['block', null, 1, 1],
    ['block', null, 2, 2],
    ['struct', 'node', 4, 7],
    ['type', 'list_t', 9, 11],
    ['function', 'list_push', 13, 20],
    ['enum', 'color', 22, 22],
  ],
  cpp: [
    ['block', null, 1, 1],
    ['namespace', 'geo', 3, 18],
    ['function', 'main', 20, 22],
  ],
  csharp: [
    ['block', null, 1, 1],
    ['block', null, 2, 2],
    ['namespace', 'Billing', 4, 27],
  ],
  ruby: [
    ['block', null, 1, 1],
    ['module', 'Billing', 3, 14],
    ['function', 'helper', 16, 18],
  ],
  php: [
    ['block', null, 1, 1],
    ['namespace', 'App\\Billing', 3, 3],
    ['block', null, 5, 5],
    ['interface', 'Payable', 7, 10],
    ['class', 'Invoice', 12, 20],
    ['function', 'format_money', 22, 25],
  ],
};

describe('TreeSitterChunker', () => {
  it('resolves a grammar file for each of the 12 parsed languages', () => {
    for (const language of PARSED_LANGUAGES)
      expect(grammarPath(language)).toMatch(/tree-sitter-[a-z_]+\.wasm$/);
  });

  describe.each(Object.keys(EXPECTED))('%s', (language) => {
    it('gives one chunk per top-level symbol with its kind, name and lines', async () => {
      const snippet = SNIPPETS[language];
      const chunker = new TreeSitterChunker({ tokenCounter: tokenizer, minTokens: 0 });
      const chunks = await chunker.chunk(file(snippet.path, language, snippet.text));
      expect(summary(chunks)).toEqual(EXPECTED[language]);
      expect(coverageProblems(snippet.text, chunks)).toEqual([]);
      expect(chunker.stats).toMatchObject({ parsed: 1, fallbacks: 0 });
      for (const c of chunks) {
        expect(c.language).toBe(language);
        expect(c.path).toBe(snippet.path);
        expect(c.embedText.endsWith(c.code)).toBe(true);
        expect(c.contentHash).toBe(sha256Hex(c.embedText));
      }
    });
  });

  it('splits a class over budget into methods, with the scope in the header', async () => {
    const snippet = SNIPPETS.python;
    const chunker = new TreeSitterChunker({ tokenCounter: tokenizer, maxTokens: 81, minTokens: 0 });
    const chunks = await chunker.chunk(file(snippet.path, 'python', snippet.text));
    const area = chunks.find((c) => c.symbol === 'area');
    expect(area).toMatchObject({ symbolKind: 'method', startLine: 11, endLine: 12 });
    expect(area?.embedText).toBe(
      'path: pkg/shapes.py\nscope: class Circle > method area\n\n    def area(self) -> float:\n        return math.pi * self.r ** 2',
    );
    expect(coverageProblems(snippet.text, chunks)).toEqual([]);

    const java = SNIPPETS.java;
    const javaChunks = await new TreeSitterChunker({
      tokenCounter: tokenizer,
      maxTokens: 90,
      minTokens: 0,
    }).chunk(file(java.path, 'java', java.text));
    expect(javaChunks.find((c) => c.symbol === 'greet')).toMatchObject({
      symbolKind: 'method',
      startLine: 14,
      endLine: 17,
    });
    expect(coverageProblems(java.text, javaChunks)).toEqual([]);
  });

  it('splits a huge function into chunks within the budget of the real tokenizer', async () => {
    const body = Array.from(
      { length: 400 },
      (_, i) => `  const value${i} = compute(input, ${i}) + offsets[${i % 7}];`,
    ).join('\n');
    const text = `import { compute } from './compute.js';\n\nexport function huge(input: number, offsets: number[]): number {\n${body}\n  return value399;\n}\n`;
    const chunker = new TreeSitterChunker({ tokenCounter: tokenizer, maxTokens: 128 });
    const chunks = await chunker.chunk(file('src/huge.ts', 'typescript', text));
    expect(chunks.length).toBeGreaterThan(10);
    expect(coverageProblems(text, chunks)).toEqual([]);
    for (const c of chunks.slice(1)) expect(c).toMatchObject({ symbol: 'huge', symbolKind: 'function' });
    for (const c of chunks) expect(tokenizer.count(c.embedText)).toBeLessThanOrEqual(128);
    // Merging packs the statements: chunks are not tiny.
    const mean = chunks.reduce((a, c) => a + tokenizer.count(c.embedText), 0) / chunks.length;
    expect(mean).toBeGreaterThan(64);
  });

  it('merges tiny neighbouring functions up to the budget', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `function f${i}() {\n  return ${i};\n}\n`).join('\n');
    const merged = await new TreeSitterChunker({
      tokenCounter: tokenizer,
      maxTokens: 256,
      minTokens: 64,
    }).chunk(file('a.js', 'javascript', text));
    const unmerged = await new TreeSitterChunker({
      tokenCounter: tokenizer,
      maxTokens: 256,
      minTokens: 0,
    }).chunk(file('a.js', 'javascript', text));
    expect(unmerged).toHaveLength(60);
    expect(merged.length).toBeLessThan(15);
    expect(merged.length).toBeGreaterThan(1);
    expect(coverageProblems(text, merged)).toEqual([]);
    for (const c of merged) {
      expect(c.symbolKind).toBe('function');
      expect(tokenizer.count(c.embedText)).toBeLessThanOrEqual(256);
    }
  });

  it('keeps leading comments and decorators with the declaration they document', async () => {
    const text = `const a = 1;\n\n/**\n * Adds.\n */\n// more\nexport function add(x: number, y: number) {\n  return x + y;\n}\n`;
    const chunks = await new TreeSitterChunker({ tokenCounter: noCount, minTokens: 0 }).chunk(
      file('a.ts', 'typescript', text),
    );
    expect(summary(chunks)).toEqual([
      ['block', null, 1, 1],
      ['function', 'add', 3, 9],
    ]);
  });

  it('chunks text files and unknown languages as line windows', async () => {
    const md = '# Title\n\nIntro.\n\n## Install\n\nRun it.\n';
    const chunker = new TreeSitterChunker({ tokenCounter: noCount });
    const chunks = await chunker.chunk(file('README.md', 'markdown', md));
    expect(chunks.map((c) => c.symbolKind)).toEqual(['text']);
    expect(chunks[0]).toMatchObject({ symbol: 'Title', startLine: 1, endLine: 7 });
    const yaml = await chunker.chunk(file('ci.yml', 'yaml', 'on: push\njobs:\n  build: {}\n'));
    expect(summary(yaml)).toEqual([['text', null, 1, 3]]);
    expect(chunker.stats).toMatchObject({ text: 2, parsed: 0 });
  });

  it('gives no chunk for an empty or blank file', async () => {
    const chunker = new TreeSitterChunker({ tokenCounter: noCount });
    expect(await chunker.chunk(file('a.ts', 'typescript', ''))).toEqual([]);
    expect(await chunker.chunk(file('a.py', 'python', '\n  \n\t\n'))).toEqual([]);
    expect(await chunker.chunk(file('a.md', 'markdown', ''))).toEqual([]);
  });

  it('cuts a 100,000-character line into pieces near the budget', async () => {
    const long = `const data = [${Array.from({ length: 20_000 }, (_, i) => i % 10).join(',')}];`;
    const text = `// data\n${long.padEnd(100_000, ' ')}\nexport function f() {}\n`;
    const chunks = await new TreeSitterChunker({ tokenCounter: tokenizer }).chunk(
      file('data.js', 'javascript', text),
    );
    expect(coverageProblems(text, chunks)).toEqual([]);
    expect(chunks.length).toBeGreaterThan(50);
    for (const c of chunks) expect(estimateTokens(c.embedText)).toBeLessThanOrEqual(256);
    // The real count stays near the budget too (sampled: the tokenizer is slow).
    for (const c of chunks.slice(0, 3)) expect(tokenizer.count(c.embedText)).toBeLessThanOrEqual(300);
  });

  it('survives 10,000 levels of nesting without overflowing the stack', async () => {
    const depth = 10_000;
    const text = `function deep() {\n${'if (x) {\n'.repeat(depth)}y();\n${'}\n'.repeat(depth)}}\n`;
    const chunks = await new TreeSitterChunker({ tokenCounter: noCount, maxTokens: 256 }).chunk(
      file('deep.js', 'javascript', text),
    );
    expect(chunks.length).toBeGreaterThan(10);
    expect(coverageProblems(text, chunks)).toEqual([]);
    const oneLine = `x = ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
    const pyChunks = await new TreeSitterChunker({ tokenCounter: noCount }).chunk(
      file('deep.py', 'python', oneLine),
    );
    expect(coverageProblems(oneLine, pyChunks)).toEqual([]);
  });

  it('chunks invalid syntax without throwing and loses no line', async () => {
    const text = 'class {{{ def (((\n  let x = ;;; \n}}} fn ]]\n\nfunction ok() { return 1 }\n<<<>>>\n';
    for (const language of PARSED_LANGUAGES) {
      const chunks = await new TreeSitterChunker({ tokenCounter: noCount }).chunk(
        file('bad.x', language, text),
      );
      expect(coverageProblems(text, chunks), language).toEqual([]);
    }
  });

  it('falls back to line windows on timeout or size, with a warning', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (m) => warnings.push(m),
      error: () => {},
    };
    const snippet = SNIPPETS.go;
    const small = new TreeSitterChunker({ tokenCounter: noCount, maxParseChars: 10, logger });
    const chunks = await small.chunk(file(snippet.path, 'go', snippet.text));
    expect(chunks.every((c) => c.symbolKind === 'text')).toBe(true);
    expect(coverageProblems(snippet.text, chunks)).toEqual([]);
    expect(small.stats.fallbacks).toBe(1);

    const big = Array.from(
      { length: 3000 },
      (_, i) => `func f${i}(a int) int {\n\treturn a * ${i}\n}\n`,
    ).join('\n');
    const slow = new TreeSitterChunker({ tokenCounter: noCount, parseTimeoutMs: 0, logger });
    const fallback = await slow.chunk(file('big.go', 'go', `package big\n\n${big}`));
    expect(slow.stats.fallbacks).toBe(1);
    expect(fallback.every((c) => c.symbolKind === 'text')).toBe(true);
    expect(warnings).toHaveLength(2);
    // The parser is usable again after a cancelled parse (a tiny file parses before the first check).
    expect(summary(await slow.chunk(file('a.go', 'go', 'package a\n')))).toEqual([['block', null, 1, 1]]);
    expect(slow.stats.parsed).toBe(1);
  });

  it('is deterministic across calls and instances', async () => {
    const all: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const chunker = new TreeSitterChunker({ tokenCounter: tokenizer, maxTokens: 64 });
      for (let again = 0; again < 2; again++) {
        const hashes: string[] = [];
        for (const [language, s] of Object.entries(SNIPPETS)) {
          for (const c of await chunker.chunk(file(s.path, language, s.text)))
            hashes.push(`${c.ordinal}:${c.startLine}-${c.endLine}:${c.contentHash}`);
        }
        all.push(hashes);
      }
    }
    expect(all[0]?.length).toBeGreaterThan(40);
    for (const h of all) expect(h).toEqual(all[0]);
  });

  it('exposes its version', () => {
    expect(new TreeSitterChunker({ tokenCounter: noCount }).version).toBe(CHUNKER_VERSION);
  });
});
