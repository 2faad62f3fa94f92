/**
 * The change planner: from what the store holds and what the tree holds now, which paths to
 * (re)chunk and which paths' points to drop. Pure: no I/O, deterministic (sorted output).
 *
 * Two inputs, one rule set, so that every route converges to the same index (DESIGN.md, Indexing):
 *
 * - `scan`: the content hash of every current file (a full scan; no git needed). A path is indexed
 *   when its stored hashes are not exactly `[current hash]` — new, changed, or holding more than
 *   one hash (a run died between upserting a file's new chunks and deleting its old ones).
 * - `diff`: a git diff from the last complete commit to HEAD, plus the current listing (the paths
 *   that pass the walker's filters). A listed path is indexed when the diff says its content
 *   changed (added, modified, renamed-to), or when the store does not hold it with exactly one hash:
 *   this re-reads files a path rule change (`.gitignore`, `.codeidxignore`) just let in, untracked
 *   files, and files a previous run left half-written — all of which a diff alone misses.
 *   The exception: a path the content filter rejected at the base commit (binary, generated…;
 *   `previousSkips`) and the diff leaves unchanged is carried over as the same skip, unread — on
 *   the benchmark's 10,000-file repository, 739 such files (28 MB) took ~0.48 s to read and classify
 *   on every push.
 *
 * In both, every stored path that is no longer present (scan: not in `current`; diff: not in the
 * listing) is dropped: deleted, renamed-from, newly ignored or now filtered out. The working tree
 * decides presence; the diff only says whose content changed. `full` re-chunks every present path
 * (the scheduled repair run, a chunker or model change); drops are computed the same way.
 *
 * Why the diff base is the last *complete* commit of the index state and not the push event's
 * `before`: `before` is all zeros for a new branch, may be unreachable after a force-push or absent
 * from a shallow clone, and — decisively — skips the changes of any run that failed or was
 * cancelled in between: diffing from it would leave those changes unindexed forever. The last
 * complete commit is by construction what the store holds, so diff(base, HEAD) is exactly the work
 * left. When that base is unavailable (`SourceReader.diff` returns null), the caller falls back to
 * another diff source or to `scan`.
 *
 * The caller must drop (deleteByPath) an indexed path whose content the file filter then rejects:
 * the planner sees paths, not contents.
 *
 * @module core/plan-changes
 */
import type { FileChange } from './ports.js';
import type { SkipReason } from './types.js';

/** Stored files of a (repo, ref): path → distinct file hashes (`VectorStore.indexedFiles`). */
export type IndexedFiles = ReadonlyMap<string, readonly string[]>;

/** Plan from a full scan: `current` maps every file that passed all filters to its sha256. */
export interface ScanPlanInput {
  readonly mode: 'scan';
  readonly previous: IndexedFiles;
  /** path → `fileHash` (sha256 hex of the raw bytes) of each file that passed every filter. */
  readonly current: ReadonlyMap<string, string>;
  /** Re-chunk every current path, changed or not. Default false. */
  readonly full?: boolean;
}

/** Plan from a git diff (base = last complete commit, head = the commit being indexed). */
export interface DiffPlanInput {
  readonly mode: 'diff';
  readonly previous: IndexedFiles;
  readonly changes: readonly FileChange[];
  /** Paths of the current listing (`SourceReader.listFiles().files`), i.e. that pass the path filters. */
  readonly listed: Iterable<string>;
  /** Re-chunk every listed path, changed or not. Default false. */
  readonly full?: boolean;
  /**
   * Paths the content filter skipped at the base commit (`IndexState.contentSkips`), with the
   * reason. Such a path that the diff leaves unchanged and the store does not hold is carried over
   * (`ChangePlan.carriedSkips`) instead of read again. Default: none.
   */
  readonly previousSkips?: ReadonlyMap<string, SkipReason>;
}

/** Input of `planChanges`. */
export type PlanInput = ScanPlanInput | DiffPlanInput;

/** A file moved from `from` to `to` (same content). Informational: `to` is in `index`, `from` in `drop`. */
export interface PlannedRename {
  readonly from: string;
  readonly to: string;
}

/** What a run has to do. Arrays are sorted and free of duplicates; `index` and `drop` are disjoint. */
export interface ChangePlan {
  /** Paths to read, filter and (re)chunk. */
  readonly index: string[];
  /** Paths whose points are deleted (`VectorStore.deleteByPath`). */
  readonly drop: string[];
  /** Present paths that are not re-chunked (carried skips excluded). */
  readonly unchanged: number;
  readonly renames: PlannedRename[];
  /** Present paths skipped again, unread, for the reason of the base commit (diff plans only). */
  readonly carriedSkips: Array<{ readonly path: string; readonly reason: SkipReason }>;
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether the store holds `path` with exactly the hash `hash` and nothing else. */
function storedExactly(previous: IndexedFiles, path: string, hash: string): boolean {
  const hashes = previous.get(path);
  return hashes !== undefined && hashes.length === 1 && hashes[0] === hash;
}

/** Whether the store holds `path` with one single hash (a complete, uninterrupted write). */
function storedOnce(previous: IndexedFiles, path: string): boolean {
  return previous.get(path)?.length === 1;
}

function planScan(input: ScanPlanInput): ChangePlan {
  const { previous, current } = input;
  const index = sorted(
    [...current]
      .filter(([path, hash]) => input.full === true || !storedExactly(previous, path, hash))
      .map(([path]) => path),
  );
  const drop = sorted([...previous.keys()].filter((path) => !current.has(path)));

  // Exact renames: a dropped path whose single stored hash is the hash of a new path.
  const droppedByHash = new Map<string, string[]>();
  for (const path of drop) {
    const hashes = previous.get(path)!;
    if (hashes.length !== 1) continue;
    const list = droppedByHash.get(hashes[0]) ?? [];
    list.push(path);
    droppedByHash.set(hashes[0], list);
  }
  const renames: PlannedRename[] = [];
  for (const to of index) {
    if (previous.has(to)) continue;
    const from = droppedByHash.get(current.get(to)!)?.shift();
    if (from !== undefined) renames.push({ from, to });
  }
  return { index, drop, unchanged: current.size - index.length, renames, carriedSkips: [] };
}

function planDiff(input: DiffPlanInput): ChangePlan {
  const { previous } = input;
  const listed = new Set(input.listed);
  const changed = new Set<string>();
  for (const change of input.changes) {
    if (change.status !== 'deleted') changed.add(change.path);
  }
  const toIndex: string[] = [];
  const carriedSkips: Array<{ path: string; reason: SkipReason }> = [];
  for (const path of listed) {
    if (input.full === true || changed.has(path)) toIndex.push(path);
    else if (storedOnce(previous, path)) continue;
    else {
      // Not stored: skipped by content at the base commit (then unchanged, so skipped again), or
      // new to the listing, or half-written (stored with several hashes): read it.
      const reason = previous.has(path) ? undefined : input.previousSkips?.get(path);
      if (reason === undefined) toIndex.push(path);
      else carriedSkips.push({ path, reason });
    }
  }
  const index = sorted(toIndex);
  carriedSkips.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const drop = sorted([...previous.keys()].filter((path) => !listed.has(path)));
  const dropped = new Set(drop);
  const indexed = new Set(index);
  const renames: PlannedRename[] = input.changes
    .filter(
      (c): c is FileChange & { oldPath: string } =>
        c.status === 'renamed' &&
        c.oldPath !== undefined &&
        indexed.has(c.path) &&
        (dropped.has(c.oldPath) || !listed.has(c.oldPath)),
    )
    .map((c) => ({ from: c.oldPath, to: c.path }))
    .sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return { index, drop, unchanged: listed.size - index.length - carriedSkips.length, renames, carriedSkips };
}

/**
 * Plans a run (see the module comment for the rules). Never throws; an empty `previous` plans a
 * first index (every present path in `index`, nothing to drop).
 */
export function planChanges(input: PlanInput): ChangePlan {
  return input.mode === 'scan' ? planScan(input) : planDiff(input);
}
