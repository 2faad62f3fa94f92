import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TreeSitterChunker } from '../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import type { Embedder, Logger } from '../../src/core/ports.js';
import { estimateTokens } from '../../src/core/token-budget.js';
import { parseEvalSuite } from '../../src/eval/eval-suite.js';
import { formatEvalTable, runEval } from '../../src/eval/run-eval.js';

const A = ['export function parseConfig(text: string) {', '  const lines = text.split("\\n");', '  return Object.fromEntries(lines.map((l) => l.split("=")));', '}', ''].join('\n');
const B = ['export function sendMail(to: string, body: string) {', '  const smtp = connectSmtp();', '  return smtp.deliver(to, body);', '}', ''].join('\n');

/** Embeds by a fixed bag of words: "config"/"parse" → axis 0, "mail"/"smtp" → axis 1; no such word → zero vector. */
const fakeEmbedder = (): Embedder => {
  const embed = (t: string): Float32Array => {
    const v = new Float32Array(4);
    if (/config|parse/i.test(t)) v[0] = 1;
    if (/mail|smtp/i.test(t)) v[1] = 1;
    const n = Math.hypot(...v);
    return n > 0 ? v.map((x) => x / n) : v;
  };
  return {
    info: { id: 'fake', revision: 'r1', dims: 4, maxTokens: 256, pooling: 'mean', queryPrefix: '', documentPrefix: '' },
    device: 'cpu',
    tokenCounter: { count: (t) => estimateTokens(t) },
    embedDocuments: (texts) => Promise.resolve(texts.map(embed)),
    embedQuery: (t) => Promise.resolve(embed(t)),
    close: () => Promise.resolve(),
  };
};

describe('runEval', () => {
  let dir: string;
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-eval-test-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.ts'), A);
    writeFileSync(join(dir, 'src', 'b.ts'), B);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores findable answers, and reports missing locations and excluded queries instead of scoring them', async () => {
    const suite = [
      { query: 'parse config', relevant: [{ path: 'src/a.ts', startLine: 1, endLine: 4 }] },
      { query: 'send mail over smtp', relevant: [{ path: 'src/b.ts', symbol: 'sendMail' }, { path: 'src/gone.ts', startLine: 1 }] },
      { query: 'something deleted', relevant: [{ path: 'src/a.ts', startLine: 90, endLine: 99 }] },
      { query: 'zebra', relevant: [{ path: 'src/b.ts' }] },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n');
    const queries = parseEvalSuite(suite, 'suite.jsonl');
    const result = await runEval(
      { suite: 'suite.jsonl', queries, source: dir, repo: 'o/r', models: ['fake', 'none'], modes: ['lexical', 'semantic', 'hybrid'] },
      {
        logger,
        openEmbedder: (spec) => Promise.resolve(spec === 'none' ? null : fakeEmbedder()),
        createChunker: (e) => new TreeSitterChunker({ tokenCounter: e?.tokenCounter ?? { count: (t) => estimateTokens(t) }, maxTokens: 256 }),
      },
    );
    const [fake, none] = result.indexes;
    expect(fake?.missingLocations.map((m) => [m.line, m.location.path])).toEqual([
      [2, 'src/gone.ts'],
      [3, 'src/a.ts'],
    ]);
    expect(fake?.excludedQueries).toEqual([3]);
    expect(fake?.zeroVectorQueries).toEqual([3, 4]);
    expect(none?.zeroVectorQueries).toEqual([]);
    expect(warnings.some((w) => /line 2: relevant location src\/gone\.ts:1-1 matches no indexed chunk/.test(w))).toBe(true);
    expect(warnings.some((w) => /1 queries have no findable relevant location/.test(w))).toBe(true);
    expect(warnings.some((w) => /2 queries embed to the zero vector/.test(w))).toBe(true);

    expect(result.runs.map((r) => `${r.model}/${r.mode}`)).toEqual(['fake/lexical', 'fake/semantic', 'fake/hybrid', 'none/lexical']);
    const semantic = result.runs.find((r) => r.model === 'fake' && r.mode === 'semantic');
    // Three scored queries (line 3 excluded): "parse config" and "send mail" rank their file first.
    expect(semantic?.scores.queries).toBe(3);
    expect(semantic?.scores.recall10).toBe(1);
    const lexical = result.runs.find((r) => r.model === 'none');
    expect(lexical?.scores.queries).toBe(3);
    expect(formatEvalTable(result)).toMatch(/2 relevant locations not in the index; 1 queries excluded; 2 zero-vector queries/);
    expect(result.runs.find((r) => r.model === 'fake' && r.mode === 'hybrid')?.fusion).toEqual({ k: 60, weights: { semantic: 1, lexical: 1 } });
    expect(semantic?.fusion).toBeNull();
    // "none" has no semantic or hybrid run, so only the fake model is compared.
    expect(result.comparisons.map((c) => [c.model, c.a, c.b, c.n])).toEqual([['fake', 'hybrid (RRF k 60, w 1/1)', 'semantic', 3]]);
  });

  it("fuses hybrid with the model's fusion, or once per setting of the options", async () => {
    const queries = parseEvalSuite(JSON.stringify({ query: 'parse config', relevant: [{ path: 'src/a.ts' }] }), 's.jsonl');
    const tuned = { k: 1, weights: { semantic: 1, lexical: 0.5 } };
    const withFusion = (): Embedder => ({ ...fakeEmbedder(), info: { ...fakeEmbedder().info, fusion: tuned } });
    const deps = {
      logger,
      openEmbedder: () => Promise.resolve(withFusion()),
      createChunker: (e: Embedder | null) => new TreeSitterChunker({ tokenCounter: e?.tokenCounter ?? { count: (t: string) => estimateTokens(t) }, maxTokens: 256 }),
    };
    const own = await runEval({ suite: 's.jsonl', queries, source: dir, models: ['fake'], modes: ['hybrid'] }, deps);
    expect(own.runs.map((r) => r.fusion)).toEqual([tuned]);
    expect(formatEvalTable(own)).toMatch(/hybrid \(RRF k 1, w 1\/0\.5\)/);
    const grid = await runEval(
      { suite: 's.jsonl', queries, source: dir, models: ['fake'], modes: ['semantic', 'hybrid'], fusions: [{ k: 7 }, { weights: { semantic: 2, lexical: 1 } }] },
      deps,
    );
    expect(grid.runs.map((r) => [r.mode, r.fusion])).toEqual([
      ['semantic', null],
      ['hybrid', { k: 7, weights: tuned.weights }],
      ['hybrid', { k: 1, weights: { semantic: 2, lexical: 1 } }],
    ]);
    expect(grid.runs.every((r) => r.scores.recall10 === 1)).toBe(true);
    // Paired comparisons: each hybrid run against semantic alone, the second hybrid run against the first.
    expect(grid.comparisons.map((c) => [c.a, c.b, c.mean, c.n])).toEqual([
      ['hybrid (RRF k 7, w 1/0.5)', 'semantic', 0, 1],
      ['hybrid (RRF k 1, w 2/1)', 'semantic', 0, 1],
      ['hybrid (RRF k 1, w 2/1)', 'hybrid (RRF k 7, w 1/0.5)', 0, 1],
    ]);
    expect(formatEvalTable(grid)).toMatch(/fake: hybrid \(RRF k 1, w 2\/1\) − hybrid \(RRF k 7, w 1\/0\.5\): \+0\.000 ± n\/a \(n 1\)/);
  });
});
