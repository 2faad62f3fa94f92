import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = join(ROOT, 'scripts', 'resolve-suite-lines.ts');

/** A JS file with the definitions the chunker does not name (a prototype method, a named function
 * expression) and, inside a function too long for one 64-token chunk, an inner function of the same
 * name as the prototype method, which the chunker does name. */
const LIB = [
  "'use strict'", // 1
  'function Reply () {}', // 2
  '', // 3
  'Reply.prototype.send = function (payload) {', // 4
  '  if (typeof payload === "string") return payload', // 5
  '  return JSON.stringify(payload)', // 6
  '}', // 7
  '', // 8
  'module.exports = function override (old, fn) {', // 9
  '  const instance = Object.create(old)', // 10
  '  return fn(instance)', // 11
  '}', // 12
  '', // 13
  'function flush (stream, trailers, headers, encoding, callback) {', // 14
  ...Array.from(
    { length: 12 },
    (_, i) => `  stream.setHeader("x-trailer-${i}", trailers[${i}] ?? headers[${i}] ?? encoding)`,
  ), // 15-26
  '  function send () {', // 27
  '    stream.addTrailers(trailers)', // 28
  '    stream.end(callback)', // 29
  '  }', // 30
  '  send()', // 31
  '}', // 32
  '',
].join('\n');

/** A class whose long method holds a nested function of 45 lines: the method's pieces lie far apart. */
const CLIENT = [
  "'use strict'", // 1
  'class Client {', // 2
  '  settings (config) {', // 3
  '    const merged = Object.assign({}, config)', // 4
  '    merged.acquireTimeout = config.acquireTimeout ?? config.pool?.acquireTimeout ?? 60000', // 5
  '    function validateConnection (connection) {', // 6
  ...Array.from(
    { length: 45 },
    (_, i) =>
      `      if (connection.flag${i} !== true) connection.flag${i} = connection.check${i}(merged.timeout${i}) ?? merged.default${i}`,
  ), // 7-51
  '      return connection', // 52
  '    }', // 53
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `    merged.option${i} = merged.option${i} ?? config.fallback${i} ?? validateConnection(config.connection${i})`,
  ), // 54-61
  '    return merged', // 62
  '  }', // 63
  '}', // 64
  '',
].join('\n');

/** An exported arrow function whose nested function of 45 lines splits it into far-apart pieces, and a
 * function whose opening lines hold a nested arrow function, so its first piece is named after that. */
const SHARED = [
  "'use strict'", // 1
  'export const resolveHost = (options, callback) => {', // 2
  '  const key = options.host ?? options.hostname', // 3
  '  function lookup (name) {', // 4
  ...Array.from(
    { length: 45 },
    (_, i) =>
      `    if (name.part${i} !== undefined) name.part${i} = options.rewrite${i}(name.part${i}) ?? options.fallback${i}`,
  ), // 5-49
  '    return name', // 50
  '  }', // 51
  ...Array.from(
    { length: 8 },
    (_, i) => `  options.cache${i} = options.cache${i} ?? lookup(options.name${i}) ?? options.previous${i}`,
  ), // 52-59
  '  return callback(null, key)', // 60
  '}', // 61
  '', // 62
  'function signatureHeader (domainName, keySelector, fieldNames, hashAlgo, bodyHash) {', // 63
  '  // the values are interpolated straight into the tag list, so control characters', // 64
  '  // and delimiters that would close the value and open a tag of their own are dropped', // 65
  "  const cleanTagValue = (value) => (value || '').toString().replace(/[\\x00-\\x1f\\x7f;=]/g, '')", // 66
  '  const tags = [', // 67
  "    'v=1',", // 68
  "    'a=rsa-' + hashAlgo,", // 69
  "    'c=relaxed/relaxed',", // 70
  "    'd=' + cleanTagValue(domainName),", // 71
  "    'q=dns/txt',", // 72
  "    's=' + cleanTagValue(keySelector),", // 73
  "    'bh=' + bodyHash,", // 74
  "    'h=' + cleanTagValue(fieldNames)", // 75
  "  ].join('; ')", // 76
  "  return 'DKIM-Signature: ' + tags + ';\\r\\n b='", // 77
  '}', // 78
  '',
].join('\n');

describe('scripts/resolve-suite-lines.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-resolve-'));
    writeFileSync(join(dir, 'reply.js'), LIB);
    writeFileSync(join(dir, 'client.js'), CLIENT);
    writeFileSync(join(dir, 'shared.js'), SHARED);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const resolveSuite = (
    questions: object[],
  ): Array<{ relevant: Array<{ startLine: number; endLine: number }> }> => {
    writeFileSync(join(dir, 'q.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
    execFileSync(TSX, [SCRIPT, join(dir, 'q.jsonl'), dir, join(dir, 'out.jsonl')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'out.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { relevant: Array<{ startLine: number; endLine: number }> });
  };

  it('finds prototype methods and named function expressions, and takes `line` to pick one of two definitions', () => {
    const out = resolveSuite([
      { id: 'a', query: 'q', relevant: [{ path: 'reply.js', symbol: 'override' }] },
      { id: 'b', query: 'q', relevant: [{ path: 'reply.js', symbol: 'send', line: 4 }] },
      { id: 'c', query: 'q', relevant: [{ path: 'reply.js', symbol: 'send', line: 27 }] },
      { id: 'e', query: 'q', relevant: [{ path: 'reply.js', symbol: 'send' }] },
    ]);
    expect(out.map((q) => [q.relevant[0]?.startLine, q.relevant[0]?.endLine])).toEqual([
      [9, 12],
      [4, 7],
      [27, 30],
      // without `line`, the chunker's symbol wins: why suites name the line when a name is defined twice
      [27, 30],
    ]);
  });

  it('refuses a `line` where no definition of the name starts', () => {
    expect(() =>
      resolveSuite([{ id: 'd', query: 'q', relevant: [{ path: 'reply.js', symbol: 'send', line: 5 }] }]),
    ).toThrow(/d: send not found in reply.js/);
  });

  it('joins the far-apart pieces of a class method defined once into its whole definition', () => {
    const [out] = resolveSuite([
      { id: 'm', query: 'q', relevant: [{ path: 'client.js', symbol: 'settings' }] },
    ]);
    // Lines 3-63 are the method; its chunks, the class's only member, take in the class's lines 2 and 64.
    // Without the join the pieces [2, 5] and [54, 64] lie 48 lines apart: "defined more than once".
    expect([out?.relevant[0]?.startLine, out?.relevant[0]?.endLine]).toEqual([2, 64]);
  });

  it('joins the pieces of an exported arrow function defined once', () => {
    const [out] = resolveSuite([
      { id: 'r', query: 'q', relevant: [{ path: 'shared.js', symbol: 'resolveHost' }] },
    ]);
    // Without recognising `export const resolveHost = (` the pieces around `lookup` are "defined more than once".
    expect([out?.relevant[0]?.startLine, out?.relevant[0]?.endLine]).toEqual([2, 61]);
  });

  it('starts a function at its own line when its first piece is named after a nested arrow function', () => {
    const [out] = resolveSuite([
      { id: 's', query: 'q', relevant: [{ path: 'shared.js', symbol: 'signatureHeader' }] },
    ]);
    expect([out?.relevant[0]?.startLine, out?.relevant[0]?.endLine]).toEqual([63, 78]);
  });
});
