import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../src/adapters/tokenizer/hf-tokenizer.js';
import { sha256Hex } from '../../src/core/identity.js';
import { LineIndex } from '../../src/core/line-index.js';
import { LineWindowChunker, lineWindows, splitLongLine } from '../../src/core/line-window-chunker.js';
import type { TokenCounter } from '../../src/core/ports.js';
import { TokenBudget, estimateTokens } from '../../src/core/token-budget.js';
import type { SourceFile } from '../../src/core/types.js';

const unused: TokenCounter = {
  count: () => {
    throw new Error('line windows use the estimate only');
  },
};

function file(path: string, language: string, text: string): SourceFile {
  return { path, language, text, fileHash: sha256Hex(text) };
}

/** Non-blank lines (1-based) → how many windows hold them. */
function lineOwners(
  text: string,
  chunks: ReadonlyArray<{ startLine: number; endLine: number }>,
): Map<number, number> {
  const owners = new Map<number, number>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') owners.set(i + 1, 0);
  });
  for (const c of chunks)
    for (let l = c.startLine; l <= c.endLine; l++)
      if (owners.has(l)) owners.set(l, (owners.get(l) as number) + 1);
  return owners;
}

describe('estimateTokens', () => {
  it('counts punctuation, word runs, digit switches and non-ASCII; whitespace is free', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('   \t\n')).toBe(0);
    expect(estimateTokens('a.b')).toBe(3);
    expect(estimateTokens('hello')).toBe(2); // ceil(5 / 2.5)
    expect(estimateTokens('abc123')).toBe(4); // ceil(6 / 2.5) + 1 switch
    expect(estimateTokens('日本')).toBe(2);
    expect(estimateTokens('x = f(y);', 4)).toBe(estimateTokens('f(y);'));
  });

  it('overestimates the real WordPiece count of ordinary code', () => {
    const tokenizer = HfTokenizer.fromDirectory(
      new URL('../../../shared/models/bert-base-uncased-tokenizer/', import.meta.url).pathname,
    );
    const code = `export function parseConfig(input: string): Config {\n  const raw = JSON.parse(input) as Record<string, unknown>;\n  if (typeof raw.name !== 'string') throw new ConfigError('name must be a string');\n  return { name: raw.name, retries: Number(raw.retries ?? 3) };\n}\n`;
    const exact = tokenizer.count(code);
    expect(estimateTokens(code)).toBeGreaterThanOrEqual(exact);
    expect(estimateTokens(code)).toBeLessThan(exact * 2);
  });
});

describe('TokenBudget', () => {
  it('counts exactly only in the ambiguous band above the budget', () => {
    let calls = 0;
    const budget = new TokenBudget({ count: () => (calls++, 95) }, 0.9);
    expect(budget.fits(() => 'x', 100, 100)).toBe(true);
    expect(budget.fits(() => 'x', 200, 100)).toBe(false);
    expect(calls).toBe(0);
    expect(budget.fits(() => 'x', 105, 100)).toBe(true);
    expect(calls).toBe(1);
    expect(budget.exactCounts).toBe(1);
  });
});

describe('splitLongLine', () => {
  it('cuts a long line into contiguous pieces within the budget, never inside a surrogate pair', () => {
    const text = 'word '.repeat(5000) + '😀'.repeat(3000) + 'tail';
    const pieces = splitLongLine(text, 0, text.length, 50);
    expect(pieces[0]?.[0]).toBe(0);
    expect(pieces[pieces.length - 1]?.[1]).toBe(text.length);
    for (let i = 0; i < pieces.length; i++) {
      const [a, b] = pieces[i];
      expect(b).toBeGreaterThan(a);
      if (i > 0) expect(a).toBe(pieces[i - 1][1]);
      expect(estimateTokens(text, a, b)).toBeLessThanOrEqual(50);
      const last = text.charCodeAt(b - 1);
      if (b < text.length) expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    }
  });

  it('makes progress with a budget of one', () => {
    expect(splitLongLine('a.b', 0, 3, 1)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });
});

describe('lineWindows', () => {
  it('overlaps consecutive windows but never repeats a whole window', () => {
    const text = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? '' : `line ${i} has some words`)).join(
      '\n',
    );
    const lines = new LineIndex(text);
    const windows = lineWindows(lines, 0, lines.lineCount - 1, {
      budget: 60,
      windowLines: 20,
      overlapLines: 3,
    });
    let prevEnd = -1;
    let prevStart = -1;
    for (const w of windows) {
      if (w.kind !== 'lines') throw new Error('unexpected fragment');
      expect(lines.estimate(w.start, w.end)).toBeLessThanOrEqual(60);
      expect(w.end - w.start + 1).toBeLessThanOrEqual(20);
      expect(w.start).toBeGreaterThan(prevStart);
      expect(w.end).toBeGreaterThan(prevEnd);
      expect(w.start).toBeGreaterThanOrEqual(prevEnd + 1 - 3);
      expect(lines.isBlank(w.start) || lines.isBlank(w.end)).toBe(false);
      prevStart = w.start;
      prevEnd = w.end;
    }
  });
});

describe('LineWindowChunker', () => {
  it('gives no chunk for an empty or blank file', () => {
    const chunker = new LineWindowChunker({ tokenCounter: unused });
    expect(chunker.chunkSync(file('a.txt', 'text', ''))).toEqual([]);
    expect(chunker.chunkSync(file('a.txt', 'text', '\n \n\t\n'))).toEqual([]);
  });

  it('windows a YAML file within budget, covering every non-blank line, with overlap', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `key_${i}:\n  value: "${'v'.repeat(i % 40)}"\n`).join(
      '',
    );
    const chunker = new LineWindowChunker({
      tokenCounter: unused,
      maxTokens: 128,
      windowLines: 30,
      overlapLines: 2,
    });
    const chunks = await chunker.chunk(file('config/app.yaml', 'yaml', text));
    expect(chunks.length).toBeGreaterThan(10);
    for (const [line, n] of lineOwners(text, chunks)) {
      expect(n, `line ${line}`).toBeGreaterThanOrEqual(1);
      expect(n, `line ${line}`).toBeLessThanOrEqual(2);
    }
    const sourceLines = text.split('\n');
    chunks.forEach((c, i) => {
      expect(c).toMatchObject({
        ordinal: i,
        symbolKind: 'text',
        symbol: null,
        language: 'yaml',
        path: 'config/app.yaml',
      });
      expect(c.code).toBe(sourceLines.slice(c.startLine - 1, c.endLine).join('\n'));
      expect(c.embedText).toBe(`path: config/app.yaml\n\n${c.code}`);
      expect(c.contentHash).toBe(sha256Hex(c.embedText));
      expect(estimateTokens(c.embedText)).toBeLessThanOrEqual(128);
      expect(c.endLine - c.startLine + 1).toBeLessThanOrEqual(30);
    });
  });

  it('stays within the budget of the real tokenizer for JSON', () => {
    const tokenizer = HfTokenizer.fromDirectory(
      new URL('../../../shared/models/bert-base-uncased-tokenizer/', import.meta.url).pathname,
    );
    const text = JSON.stringify(
      Array.from({ length: 80 }, (_, i) => ({
        id: i,
        name: `item-${i}`,
        tags: ['alpha', 'beta'],
        price: i * 1.25,
      })),
      null,
      2,
    );
    const chunks = new LineWindowChunker({ tokenCounter: tokenizer, maxTokens: 200 }).chunkSync(
      file('data/items.json', 'json', text),
    );
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(tokenizer.count(c.embedText)).toBeLessThanOrEqual(200);
  });

  it('cuts a 100,000-character line by characters', () => {
    const line = 'abcdefghij'.repeat(10_000);
    const text = `first\n${line}\nlast\n`;
    const chunks = new LineWindowChunker({ tokenCounter: unused, maxTokens: 256 }).chunkSync(
      file('blob.txt', 'text', text),
    );
    const middle = chunks.filter((c) => c.startLine === 2);
    expect(middle.length).toBeGreaterThan(50);
    expect(middle.map((c) => c.code).join('')).toBe(line);
    for (const c of chunks) expect(estimateTokens(c.embedText)).toBeLessThanOrEqual(256);
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 1, code: 'first' });
    expect(chunks[chunks.length - 1]).toMatchObject({ startLine: 3, endLine: 3, code: 'last' });
  });

  it('uses the Markdown heading trail as symbol and starts sections at headings', () => {
    const para = 'Some prose about the topic that goes on for a while. '.repeat(4);
    const text = `# Guide\n\n${para}\n\n## Install\n\n${para}\n\n\`\`\`sh\n# not a heading\nnpm i\n\`\`\`\n\n## Usage\n\n${para}\n`;
    const chunks = new LineWindowChunker({ tokenCounter: unused, maxTokens: 256, minTokens: 32 }).chunkSync(
      file('docs/guide.md', 'markdown', text),
    );
    expect(chunks.map((c) => c.symbol)).toEqual(['Guide', 'Guide > Install', 'Guide > Usage']);
    expect(chunks[1]?.embedText.startsWith('path: docs/guide.md\nscope: Guide > Install\n\n## Install')).toBe(
      true,
    );
    expect(chunks[1]?.code).toContain('# not a heading');
  });

  it('is deterministic', () => {
    const text = Array.from({ length: 500 }, (_, i) => `echo "step ${i}" && run --flag=${i * 7}`).join('\n');
    const a = new LineWindowChunker({ tokenCounter: unused }).chunkSync(file('run.sh', 'shell', text));
    const b = new LineWindowChunker({ tokenCounter: unused }).chunkSync(file('run.sh', 'shell', text));
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
  });
});
