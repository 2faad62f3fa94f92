import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { queryProblem } from '../../src/core/query-check.js';
import { parseEvalSuite } from '../../src/eval/eval-suite.js';

const line = (o: unknown): string => JSON.stringify(o);

describe('parseEvalSuite', () => {
  it('parses queries with their line numbers, skipping blank and // lines', () => {
    const text = ['// comment', line({ query: ' parse config ', relevant: [{ path: 'a.ts', startLine: 3, endLine: 9 }] }), '', line({ id: 'q2', query: 'x y', relevant: [{ path: 'b.ts', symbol: 'f', repo: 'o/r' }] })].join('\n');
    const qs = parseEvalSuite(text, 's.jsonl');
    expect(qs).toEqual([
      { line: 2, id: 'line-2', query: 'parse config', relevant: [{ path: 'a.ts', startLine: 3, endLine: 9 }] },
      { line: 4, id: 'q2', query: 'x y', relevant: [{ path: 'b.ts', symbol: 'f', repo: 'o/r' }] },
    ]);
  });
  it('names the line that is not JSON', () => {
    const text = `${line({ query: 'a b', relevant: [{ path: 'a' }] })}\n{"query": "oops",\n`;
    expect(() => parseEvalSuite(text, 's.jsonl')).toThrow(ConfigError);
    expect(() => parseEvalSuite(text, 's.jsonl')).toThrow(/s\.jsonl:2: not valid JSON/);
  });
  it('names the line and field of a wrong shape', () => {
    expect(() => parseEvalSuite(line({ query: 'a b', relevant: [] }), 's.jsonl')).toThrow(/s\.jsonl:1: relevant: at least one relevant location/);
    expect(() => parseEvalSuite(line({ query: 'a b', relevant: [{ path: 'a', startLine: 0 }] }), 's.jsonl')).toThrow(/s\.jsonl:1: relevant\.0\.startLine/);
    expect(() => parseEvalSuite(line({ query: 'a b', relevant: [{ path: 'a', startLine: 5, endLine: 2 }] }), 's.jsonl')).toThrow(/endLine/);
    expect(() => parseEvalSuite(line({ query: 'a', relevant: [{ path: 'a' }], extra: 1 }), 's.jsonl')).toThrow(/s\.jsonl:1/);
  });
  it('rejects bad queries with a clear message naming the line', () => {
    const bad = (query: string) => parseEvalSuite(line({ query, relevant: [{ path: 'a' }] }), 's.jsonl');
    expect(() => bad('   ')).toThrow(/s\.jsonl:1: the query is empty/);
    expect(() => bad('x'.repeat(10_000))).toThrow(/s\.jsonl:1: the query is 10000 characters long; the limit is 2000/);
    expect(() => bad('?!... --- ()')).toThrow(/s\.jsonl:1: the query has no letters or digits/);
    expect(bad('配置を解析する')[0]?.query).toBe('配置を解析する');
  });
  it('an empty file is an error', () => {
    expect(() => parseEvalSuite('\n\n', 'e.jsonl')).toThrow(/e\.jsonl has no queries/);
  });
});

describe('queryProblem', () => {
  it('accepts words, identifiers and non-Latin text', () => {
    expect(queryProblem('parseHTTPResponse')).toBeNull();
    expect(queryProblem('где находится парсер')).toBeNull();
    expect(queryProblem('42')).toBeNull();
  });
});
