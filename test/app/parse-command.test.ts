import { describe, expect, it } from 'vitest';
import { codeCell, codeFence, codeSpan } from '../../src/app/markdown.js';
import { findCommandLine, normalizeLanguage, parseCommand, tokenize } from '../../src/app/parse-command.js';
import { MAX_COMMENT_CHARS, renderResults } from '../../src/app/render-reply.js';
import { RepoRateLimiter } from '../../src/app/repo-rate-limiter.js';
import { ConfigError } from '../../src/core/errors.js';
import type { SearchHit } from '../../src/core/types.js';

describe('findCommandLine', () => {
  it('finds the first /search line, after other text, with CRLF endings', () => {
    expect(findCommandLine('hello\r\n  /search foo bar  \r\n/search second')).toBe('foo bar');
    expect(findCommandLine('/search')).toBe('');
  });

  it('skips quotes, fenced code and words that merely start with /search', () => {
    expect(findCommandLine('> /search quoted')).toBeNull();
    expect(findCommandLine('```\n/search in code\n```')).toBeNull();
    expect(findCommandLine('~~~~\n/search in code\n~~~\n/search still code\n~~~~\n/search real')).toBe(
      'real',
    );
    expect(findCommandLine('/searching for answers')).toBeNull();
    expect(findCommandLine('please /search foo')).toBeNull();
  });

  it('is linear on adversarial input (a 65,536-character line of spaces and line separators)', () => {
    const body = `/search${' \u2028'.repeat(32_764)}`;
    expect(body.length).toBeGreaterThan(65_000);
    expect(findCommandLine(body)).toBe('');
  });
});

describe('tokenize', () => {
  it('groups balanced quotes (straight and typographic) and keeps lone quotes literal', () => {
    expect(tokenize('"parse config" --k 5')).toEqual([
      { text: 'parse config', quoted: true },
      { text: '--k', quoted: false },
      { text: '5', quoted: false },
    ]);
    expect(tokenize('\u201cretry backoff\u201d').map((t) => t.text)).toEqual(['retry backoff']);
    expect(tokenize("don't stop").map((t) => t.text)).toEqual(["don't", 'stop']);
    expect(tokenize('a "b').map((t) => t.text)).toEqual(['a', '"b']);
  });
});

describe('parseCommand', () => {
  it('returns null without a command', () => {
    expect(parseCommand('just a comment')).toBeNull();
  });

  it('parses the query and every option, normalising path and language', () => {
    expect(
      parseCommand(
        '/search parse the config --path ./src/core/ --lang ts --k 3 --mode lexical --kind function',
      ),
    ).toEqual({
      kind: 'search',
      query: 'parse the config',
      k: 3,
      mode: 'lexical',
      pathPrefix: 'src/core',
      language: 'typescript',
      symbolKind: 'function',
    });
    expect(parseCommand('/search --k=2 "--verbose" flag')).toEqual({
      kind: 'search',
      query: '--verbose flag',
      k: 2,
      mode: 'hybrid',
    });
  });

  it('recognises help', () => {
    expect(parseCommand('/search help')).toEqual({ kind: 'help' });
    expect(parseCommand('/search --help')).toEqual({ kind: 'help' });
    expect(parseCommand('/search help me find parseConfig')).toMatchObject({
      kind: 'search',
      query: 'help me find parseConfig',
    });
  });

  it('refuses every option that would pick a repository or ref', () => {
    for (const flag of [
      '--repo x/y',
      '--REPO=x/y',
      '--org x',
      '--owner x',
      '--ref main',
      '--branch main',
      '--commit abc',
      '--sha abc',
    ]) {
      const parsed = parseCommand(`/search foo ${flag}`);
      expect(parsed?.kind).toBe('invalid');
      expect(parsed).toMatchObject({
        message: expect.stringContaining('searches only this repository') as unknown,
      });
    }
  });

  it('reports user mistakes with a message, escaping what the user typed', () => {
    expect(parseCommand('/search foo --k')).toMatchObject({
      kind: 'invalid',
      message: '`--k` needs a value',
    });
    expect(parseCommand('/search foo --k 0')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('/search foo --k 1e1')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('/search foo --lang `rm`')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('`` `rm` ``') as unknown,
    });
    expect(parseCommand('/search foo --path a/../../b')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand(`/search ${'q'.repeat(2_001)}`)).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('2,001 characters') as unknown,
    });
    expect(parseCommand(`/search ${'q'.repeat(2_000)}`)).toMatchObject({ kind: 'search' });
  });
});

describe('normalizeLanguage', () => {
  it('maps extensions to language ids and keeps ids', () => {
    expect(normalizeLanguage('ts')).toBe('typescript');
    expect(normalizeLanguage('.py')).toBe('python');
    expect(normalizeLanguage('Go')).toBe('go');
    expect(normalizeLanguage('typescript')).toBe('typescript');
    expect(normalizeLanguage('no spaces')).toBeNull();
  });
});

describe('markdown escaping', () => {
  it('code spans survive backticks, and table cells survive pipes', () => {
    expect(codeSpan('a')).toBe('`a`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('line\nbreak')).toBe('`line break`');
    expect(codeCell('a|b')).toBe('`a\\|b`');
  });

  it('a fence is longer than any backtick run in the code', () => {
    expect(codeFence('x')).toBe('```\nx\n```');
    expect(codeFence('a\n````\nb', 'ts')).toBe('`````ts\na\n````\nb\n`````');
    expect(codeFence('x', 'ts"><img')).toBe('```tsimg\nx\n```');
  });
});

describe('renderResults', () => {
  const hit = (i: number, text: string): SearchHit => ({
    id: `id${i}`,
    repo: 'o/r',
    ref: 'refs/heads/main',
    commit: 'a'.repeat(40),
    path: `src/f${i}.ts`,
    language: 'typescript',
    symbol: `f${i}`,
    symbolKind: 'function',
    startLine: 1,
    endLine: 400,
    text,
    score: 0.5,
  });

  it("stays under GitHub's comment limit with 20 huge snippets, listing every hit in the table", () => {
    const huge = Array.from({ length: 400 }, (_, i) => `const line${i} = "${'z'.repeat(300)}";`).join('\n');
    const body = renderResults({
      query: 'q',
      repo: 'o/r',
      ref: 'refs/heads/main',
      commit: 'a'.repeat(40),
      mode: 'hybrid',
      requestedMode: 'hybrid',
      hits: Array.from({ length: 20 }, (_, i) => hit(i, huge)),
      baseUrl: 'https://github.com',
      filters: [],
    });
    expect(body.length).toBeLessThan(MAX_COMMENT_CHARS);
    expect(body.split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(20);
    expect(body).toContain('cut; open the link for the rest');
    expect(body).toContain('left out to fit in one comment');
  });

  it('escapes HTML in summaries and pipes in table cells', () => {
    const h = { ...hit(1, 'x'), path: 'a|b/<script>.ts', symbol: 'op|<' };
    const body = renderResults({
      query: 'q',
      repo: 'o/r',
      ref: 'refs/heads/main',
      commit: null,
      mode: 'lexical',
      requestedMode: 'hybrid',
      hits: [h],
      baseUrl: 'https://github.com',
      filters: [],
    });
    expect(body).toContain('<summary>1. a|b/&lt;script&gt;.ts#L1-L400 — op|&lt;</summary>');
    expect(body).toContain('[`a\\|b/<script>.ts#L1-L400`]');
    expect(body).toContain('lexical (hybrid needs a model');
  });
});

describe('RepoRateLimiter', () => {
  it('allows `limit` per sliding window and repository, and says when to retry', () => {
    let now = 0;
    const limiter = new RepoRateLimiter({ limit: 2, windowMs: 1_000 }, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    now = 400;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 600 });
    expect(limiter.take('b').allowed).toBe(true);
    now = 1_000; // the first search left the window
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 400 });
  });

  it('rejects nonsensical settings', () => {
    expect(() => new RepoRateLimiter({ limit: 0, windowMs: 1 })).toThrow(ConfigError);
    expect(() => new RepoRateLimiter({ limit: 1, windowMs: 0.5 })).toThrow(ConfigError);
  });
});
