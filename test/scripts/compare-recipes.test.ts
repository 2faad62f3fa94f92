/**
 * scripts/static-model/compare-recipes.py: recipe means over runs and sets, and the paired standard error
 * of the gain over a baseline recipe, checked against figures worked out by hand.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'static-model', 'compare-recipes.py');

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A model directory whose codeidx-model.json has `revision`. */
function model(name: string, revision: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'codeidx-model.json'), JSON.stringify({ revision }));
  return d;
}

/** An eval JSON (the fields compare-recipes.py reads) with one semantic run per revision. */
function evalJson(name: string, ranks: Record<string, Array<number | null>>): string {
  const path = join(dir, `${name}.json`);
  const runs = Object.entries(ranks).map(([revision, r]) => ({
    model: 'm',
    revision,
    mode: 'semantic',
    perQuery: r.map((rank, i) => ({ line: i + 1, rank })),
  }));
  // a hybrid run of the same revision must be ignored in favour of the semantic one
  runs.push({
    model: 'm',
    revision: 'r1',
    mode: 'hybrid',
    perQuery: (ranks.r1 ?? []).map((_, i) => ({ line: i + 1, rank: 1 })),
  });
  writeFileSync(path, JSON.stringify({ runs }));
  return path;
}

describe('compare-recipes.py', () => {
  it('averages each query over a recipe’s runs, then sets, and gives the paired SE of the gain', () => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-recipes-'));
    const [m1, m2, m3] = [model('a', 'r1'), model('b', 'r2'), model('c', 'r3')];
    // set 1: reciprocal ranks r1 [1, .5, 0], r2 [1, 1, 0] (rank 11 is beyond the cut-off), r3 [.5, 1, 1]
    const s1 = evalJson('s1', { r1: [1, 2, null], r2: [1, 1, 11], r3: [2, 1, 1] });
    // set 2: r1 [0, 1], r2 [1, 1], r3 [.25, 1]
    const s2 = evalJson('s2', { r1: [0, 1], r2: [1, 1], r3: [4, 1] });
    const out = join(dir, 'out.json');
    execFileSync(
      'python3',
      [
        SCRIPT,
        '--set',
        `one=${s1}`,
        '--set',
        `two=${s2}`,
        '--recipe',
        `base=${m1}`,
        '--recipe',
        `pair=${m2},${m3}`,
        '--baseline',
        'base',
        '--json',
        out,
      ],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(readFileSync(out, 'utf8')) as {
      recipes: Record<
        string,
        {
          perSet: Record<string, number>;
          score: number;
          gain?: number;
          pairedSE?: number;
          runRange: number[];
        }
      >;
    };
    expect(r.recipes.base?.perSet.one).toBeCloseTo(0.5, 12);
    expect(r.recipes.base?.perSet.two).toBeCloseTo(0.5, 12);
    // pair, per query: set 1 [.75, 1, .5] → 0.75; set 2 [.625, 1] → 0.8125
    expect(r.recipes.pair?.perSet.one).toBeCloseTo(0.75, 12);
    expect(r.recipes.pair?.perSet.two).toBeCloseTo(0.8125, 12);
    expect(r.recipes.pair?.score).toBeCloseTo(0.78125, 12);
    // differences: set 1 [-.25, .5, .5] (mean .25, SE .25); set 2 [.625, 0] (mean .3125, SE .3125)
    expect(r.recipes.pair?.gain).toBeCloseTo(0.28125, 12);
    expect(r.recipes.pair?.pairedSE).toBeCloseTo(Math.sqrt(0.25 ** 2 + 0.3125 ** 2) / 2, 12);
    // the runs' own means, lowest first: r3 (2.5/3 + .625) / 2, r2 (2/3 + 1) / 2
    expect(r.recipes.pair?.runRange[0]).toBeCloseTo((2.5 / 3 + 0.625) / 2, 12);
    expect(r.recipes.pair?.runRange[1]).toBeCloseTo((2 / 3 + 1) / 2, 12);
  });

  it('says which run is missing instead of comparing fewer runs', () => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-recipes-'));
    const [m1, m2] = [model('a', 'r1'), model('b', 'r9')];
    const s1 = evalJson('s1', { r1: [1] });
    const res = spawnSync(
      'python3',
      [SCRIPT, '--set', `one=${s1}`, '--recipe', `base=${m1}`, '--recipe', `x=${m2}`, '--baseline', 'base'],
      { encoding: 'utf8' },
    );
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/no semantic run of .*b \(revision r9\) in the one set/);
  });
});
