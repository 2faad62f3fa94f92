import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MemoLexicalTokens } from '../../../src/adapters/sqlite/memo-lexical-tokens.js';
import { lexicalTokens } from '../../../src/core/lexical-tokens.js';
import { mulberry32 as prng } from '../../../scripts/lib/mulberry32.js';

const ALPHABET = [
  ...'abcXYZ019_ -.(){}\n\t"\'/é',
  'ß',
  'Ж',
  'д',
  '日本',
  '٣',
  '🙂',
  'HTTPServer',
  'get',
  'Name',
  '__init__',
];

describe('MemoLexicalTokens', () => {
  it('gives exactly lexicalTokens on code, Unicode and random strings, cached or not', () => {
    const memo = new MemoLexicalTokens(64); // small: evictions happen
    const random = prng(7);
    const samples = [
      'function parseHTTPResponse2(user_id) { return getUserName(x) }',
      '__proto__ snake_case_name kebab-case CONSTANT_VALUE a1b2 x 7 _ __',
      `${'a'.repeat(64)} ${'b'.repeat(65)} ${'Ab'.repeat(40)}`,
      'Größe straße ЖукДом 日本語テキスト ٣٤ café_au_lait',
      '',
    ];
    for (let i = 0; i < 400; i++) {
      const n = Math.floor(random() * 40);
      samples.push(
        Array.from({ length: n }, () => ALPHABET[Math.floor(random() * ALPHABET.length)] ?? '').join(''),
      );
    }
    for (const round of [1, 2]) {
      for (const text of samples) {
        expect(memo.tokens(text), `round ${round}: ${JSON.stringify(text)}`).toEqual(lexicalTokens(text));
        expect(memo.joined(text)).toBe(lexicalTokens(text).join(' '));
      }
    }
  });

  it('keeps no text alive through its cached words (matches are views into their text)', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const memo = new MemoLexicalTokens();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 400; i++) {
      // 100 kB of text around one long identifier: only the identifier may stay in the caches.
      const text = `${'x '.repeat(25_000)} someVeryLongIdentifierName${i} ${'y '.repeat(25_000)}`;
      memo.joined(text);
      memo.tokens(text);
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(retained).toBeLessThan(8_000_000); // 400 texts × 100 kB = 40 MB if they were kept
  });
});
