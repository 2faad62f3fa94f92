import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/core/ports.js';
import { planChanges, type ChangePlan, type IndexedFiles } from '../../src/core/plan-changes.js';

const stored = (entries: Record<string, string[]>): IndexedFiles => new Map(Object.entries(entries));
const hashes = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

/** The store after a run executes `plan` (every indexed path passes the content filter). */
function apply(
  previous: IndexedFiles,
  plan: ChangePlan,
  current: ReadonlyMap<string, string>,
): Record<string, readonly string[]> {
  const next = new Map(previous);
  for (const path of plan.drop) next.delete(path);
  for (const path of plan.index) next.set(path, [current.get(path)!]);
  return Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('planChanges (scan)', () => {
  it('indexes everything on a first run', () => {
    const plan = planChanges({
      mode: 'scan',
      previous: new Map(),
      current: hashes({ 'b.ts': 'h2', 'a.ts': 'h1' }),
    });
    expect(plan).toEqual({ index: ['a.ts', 'b.ts'], drop: [], unchanged: 0, renames: [], carriedSkips: [] });
  });

  it('indexes new and changed files, drops removed ones, counts the unchanged', () => {
    const previous = stored({ 'same.ts': ['h1'], 'changed.ts': ['old'], 'gone.ts': ['h3'] });
    const current = hashes({ 'same.ts': 'h1', 'changed.ts': 'new', 'added.ts': 'h4' });
    expect(planChanges({ mode: 'scan', previous, current })).toEqual({
      index: ['added.ts', 'changed.ts'],
      drop: ['gone.ts'],
      unchanged: 1,
      renames: [],
      carriedSkips: [],
    });
  });

  it('re-indexes a path holding more than one hash (interrupted run), even if one matches', () => {
    const previous = stored({ 'half.ts': ['h1', 'h0'], 'ok.ts': ['h2'], 'half-gone.ts': ['a', 'b'] });
    const plan = planChanges({ mode: 'scan', previous, current: hashes({ 'half.ts': 'h1', 'ok.ts': 'h2' }) });
    expect(plan.index).toEqual(['half.ts']);
    expect(plan.drop).toEqual(['half-gone.ts']);
  });

  it('re-indexes every present path when forced, and still drops the absent ones', () => {
    const previous = stored({ 'a.ts': ['h1'], 'old.ts': ['h9'] });
    const plan = planChanges({
      mode: 'scan',
      previous,
      current: hashes({ 'a.ts': 'h1', 'b.ts': 'h2' }),
      full: true,
    });
    expect(plan).toEqual({ index: ['a.ts', 'b.ts'], drop: ['old.ts'], unchanged: 0, renames: [], carriedSkips: [] });
  });

  it('reports an exact rename (same hash, old path gone)', () => {
    const previous = stored({ 'old/name.ts': ['h1'], 'keep.ts': ['h2'] });
    const plan = planChanges({
      mode: 'scan',
      previous,
      current: hashes({ 'new/name.ts': 'h1', 'keep.ts': 'h2' }),
    });
    expect(plan.renames).toEqual([{ from: 'old/name.ts', to: 'new/name.ts' }]);
    expect(plan.index).toEqual(['new/name.ts']);
    expect(plan.drop).toEqual(['old/name.ts']);
  });
});

describe('planChanges (diff)', () => {
  const previous = stored({
    'mod.ts': ['m0'],
    'del.ts': ['d0'],
    'old.ts': ['r0'],
    'same.ts': ['s0'],
    'now-ignored.ts': ['i0'],
  });

  it('indexes added, modified and renamed-to paths, drops deleted and renamed-from ones', () => {
    const changes: FileChange[] = [
      { status: 'added', path: 'new.ts' },
      { status: 'modified', path: 'mod.ts' },
      { status: 'deleted', path: 'del.ts' },
      { status: 'renamed', path: 'moved.ts', oldPath: 'old.ts' },
    ];
    const listed = ['mod.ts', 'moved.ts', 'new.ts', 'same.ts', 'now-ignored.ts'];
    expect(planChanges({ mode: 'diff', previous, changes, listed })).toEqual({
      index: ['mod.ts', 'moved.ts', 'new.ts'],
      drop: ['del.ts', 'old.ts'],
      unchanged: 2,
      renames: [{ from: 'old.ts', to: 'moved.ts' }],
      carriedSkips: [],
    });
  });

  it('drops a changed path that is now filtered out, and ignores a new one that is', () => {
    const changes: FileChange[] = [
      { status: 'modified', path: 'now-ignored.ts' },
      { status: 'added', path: 'dist/bundle.js' },
    ];
    const listed = ['mod.ts', 'del.ts', 'old.ts', 'same.ts'];
    const plan = planChanges({ mode: 'diff', previous, changes, listed });
    expect(plan.index).toEqual([]);
    expect(plan.drop).toEqual(['now-ignored.ts']);
    expect(plan.unchanged).toBe(4);
  });

  it('indexes an unchanged path with more than one stored hash', () => {
    const plan = planChanges({
      mode: 'diff',
      previous: stored({ 'a.ts': ['x', 'y'], 'b.ts': ['z'] }),
      changes: [],
      listed: ['a.ts', 'b.ts'],
    });
    expect(plan.index).toEqual(['a.ts']);
    expect(plan.unchanged).toBe(1);
  });

  it('indexes a listed path the store lacks although the diff does not name it (rule change, untracked file)', () => {
    const plan = planChanges({
      mode: 'diff',
      previous: stored({ 'a.ts': ['x'] }),
      changes: [{ status: 'modified', path: '.codeidxignore' }],
      listed: ['a.ts', 'docs/un-ignored.md'],
    });
    expect(plan.index).toEqual(['docs/un-ignored.md']);
  });

  it('keeps a path the diff deletes while the working tree still has it', () => {
    const plan = planChanges({
      mode: 'diff',
      previous: stored({ 'a.ts': ['x'] }),
      changes: [{ status: 'deleted', path: 'a.ts' }],
      listed: ['a.ts'],
    });
    expect(plan).toEqual({ index: [], drop: [], unchanged: 1, renames: [], carriedSkips: [] });
  });

  it('re-indexes every listed path when forced', () => {
    const plan = planChanges({
      mode: 'diff',
      previous: stored({ 'a.ts': ['x'], 'gone.ts': ['g'] }),
      changes: [],
      listed: ['b.ts', 'a.ts'],
      full: true,
    });
    expect(plan).toEqual({ index: ['a.ts', 'b.ts'], drop: ['gone.ts'], unchanged: 0, renames: [], carriedSkips: [] });
  });

  it('converges with a full scan to the same store', () => {
    // Commit 1 → commit 2: modify, delete, rename, add, one file newly ignored, one run interrupted.
    const before = stored({
      'a.ts': ['a1'],
      'b.ts': ['b1'],
      'c.ts': ['c1'],
      'd.ts': ['d1'],
      'e.ts': ['e1', 'e0'],
    });
    const current = hashes({ 'a.ts': 'a2', 'c2.ts': 'c1', 'e.ts': 'e1', 'f.ts': 'f1' }); // d.ts is now ignored
    const changes: FileChange[] = [
      { status: 'modified', path: 'a.ts' },
      { status: 'deleted', path: 'b.ts' },
      { status: 'renamed', path: 'c2.ts', oldPath: 'c.ts' },
      { status: 'added', path: 'f.ts' },
      { status: 'modified', path: '.gitignore' },
    ];
    const scan = planChanges({ mode: 'scan', previous: before, current });
    const diff = planChanges({ mode: 'diff', previous: before, changes, listed: current.keys() });
    expect(apply(before, diff, current)).toEqual(apply(before, scan, current));
    expect(apply(before, scan, current)).toEqual({
      'a.ts': ['a2'],
      'c2.ts': ['c1'],
      'e.ts': ['e1'],
      'f.ts': ['f1'],
    });
    expect(diff.renames).toEqual([{ from: 'c.ts', to: 'c2.ts' }]);
    expect(scan.renames).toEqual([{ from: 'c.ts', to: 'c2.ts' }]);
  });

  it('returns sorted, disjoint, duplicate-free lists', () => {
    const plan = planChanges({
      mode: 'diff',
      previous: stored({ 'z.ts': ['1'], 'y.ts': ['2'] }),
      changes: [
        { status: 'modified', path: 'b.ts' },
        { status: 'modified', path: 'b.ts' },
        { status: 'added', path: 'a.ts' },
      ],
      listed: ['b.ts', 'a.ts', 'b.ts'],
    });
    expect(plan.index).toEqual(['a.ts', 'b.ts']);
    expect(plan.drop).toEqual(['y.ts', 'z.ts']);
    expect(plan.index.filter((p) => plan.drop.includes(p))).toEqual([]);
  });
});

describe('planChanges (diff): content skips of the base commit', () => {
  const previousSkips = new Map([
    ['logo.png', 'binary'],
    ['gen.pb.go', 'generated'],
    ['half.ts', 'binary'],
  ] as const);

  it('carries an unchanged, unstored skipped path over unread; reads it again when the diff changes it', () => {
    const previous = stored({ 'a.ts': ['h1'], 'half.ts': ['h1', 'h2'] });
    const changes: FileChange[] = [{ status: 'modified', path: 'gen.pb.go' }];
    const listed = ['a.ts', 'gen.pb.go', 'half.ts', 'logo.png', 'untracked.ts'];
    expect(planChanges({ mode: 'diff', previous, changes, listed, previousSkips })).toEqual({
      // gen.pb.go changed; half.ts is stored half-written (two hashes); untracked.ts was never seen.
      index: ['gen.pb.go', 'half.ts', 'untracked.ts'],
      drop: [],
      unchanged: 1,
      renames: [],
      carriedSkips: [{ path: 'logo.png', reason: 'binary' }],
    });
  });

  it('carries nothing without previous skips, for an unlisted path, or when forced', () => {
    const previous = stored({});
    const listed = ['gen.pb.go', 'logo.png'];
    expect(planChanges({ mode: 'diff', previous, changes: [], listed }).index).toEqual(['gen.pb.go', 'logo.png']);
    expect(planChanges({ mode: 'diff', previous, changes: [], listed: ['gen.pb.go'], previousSkips }).carriedSkips).toEqual([
      { path: 'gen.pb.go', reason: 'generated' },
    ]);
    const forced = planChanges({ mode: 'diff', previous, changes: [], listed, previousSkips, full: true });
    expect(forced.index).toEqual(['gen.pb.go', 'logo.png']);
    expect(forced.carriedSkips).toEqual([]);
  });
});
