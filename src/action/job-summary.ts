/**
 * @module action/job-summary — the run's figures as step outputs, a job summary table
 * (`core.summary`, Markdown in GITHUB_STEP_SUMMARY) and warning annotations for the files that
 * could not be indexed.
 */
import * as core from '@actions/core';
import type { IndexReport } from '../core/index-pipeline.js';
import type { SkipReason } from '../core/types.js';

/**
 * Skip reasons that mean "this file should have been indexed and was not": each example gets a
 * `core.warning` annotation on the file. Deliberate skips (ignored, vendored, generated, lockfile,
 * minified, binary, symlink, empty) are only counted in the summary.
 */
export const ANNOTATED_REASONS: readonly SkipReason[] = [
  'unreadable',
  'chunk-error',
  'invalid-utf8',
  'too-large',
  'long-lines',
];

/** Annotations per run: GitHub shows at most 10 warning annotations per step. */
export const MAX_ANNOTATIONS = 10;

/** What the summary shows besides the report. */
export interface SummaryContext {
  readonly model: string;
  readonly device: string;
  readonly store: string;
  readonly why: string;
  /** Shard label ("2/4") or null. */
  readonly shard: string | null;
}

/** (cache hits + store hits) / (hits + embedded), 0..1; 0 when nothing was looked up (lexical-only or no file changed). */
export function cacheHitRate(report: IndexReport): number {
  const c = report.counts;
  const lookups = c.cacheHits + c.storeHits + c.embedded;
  return lookups === 0 ? 0 : (c.cacheHits + c.storeHits) / lookups;
}

/** Sets the outputs of action.yml from a finished run. */
export function setRunOutputs(report: IndexReport): void {
  core.setOutput('commit', report.commit ?? '');
  core.setOutput('files-indexed', String(report.counts.filesIndexed));
  core.setOutput('chunks-embedded', String(report.counts.embedded));
  core.setOutput('cache-hit-rate', cacheHitRate(report).toFixed(4));
  core.setOutput('duration-seconds', (report.durationMs / 1000).toFixed(2));
}

/** One `core.warning` (with the `file` property) per example of an annotated reason, at most `MAX_ANNOTATIONS`. */
export function annotateSkippedFiles(report: IndexReport, pathPrefix: string): number {
  let emitted = 0;
  for (const reason of ANNOTATED_REASONS) {
    for (const path of report.skippedExamples[reason] ?? []) {
      if (emitted >= MAX_ANNOTATIONS) return emitted;
      core.warning(`codeidx could not index this file: ${reason}`, {
        file: pathPrefix ? `${pathPrefix}/${path}` : path,
        title: 'codeidx',
      });
      emitted++;
    }
  }
  return emitted;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Appends the run's table and skipped files to the job summary and writes it. */
export async function writeIndexSummary(report: IndexReport, ctx: SummaryContext): Promise<void> {
  const c = report.counts;
  const rows: Array<[string, string]> = [
    ['Repository', report.scope.repo],
    ['Ref', report.scope.ref],
    ['Commit', report.commit ?? '-'],
    ['Plan', `${report.plannedBy} (${ctx.why})`],
    ...(ctx.shard ? ([['Shard', ctx.shard]] as Array<[string, string]>) : []),
    ['Files seen', String(c.filesSeen)],
    ['Files indexed', String(c.filesIndexed)],
    ['Renamed files rebuilt from the store', String(c.filesReused)],
    ['Files unchanged', String(c.filesUnchanged)],
    ['Files dropped', String(c.filesDropped)],
    ['Chunks written', String(c.chunks)],
    ['Chunks embedded', String(c.embedded)],
    [
      'Cache hits',
      `${c.cacheHits} cache + ${c.storeHits} store (rate ${(100 * cacheHitRate(report)).toFixed(1)}%)`,
    ],
    ['Stale points deleted', String(c.pointsDeleted)],
    ['Model', `${ctx.model} on ${ctx.device}`],
    ['Store', ctx.store],
    [
      'Duration',
      `${seconds(report.durationMs)} (plan ${seconds(report.timings.plan)}, chunk ${seconds(report.timings.chunk)}, embed ${seconds(report.timings.embed)}, write ${seconds(report.timings.write)})`,
    ],
  ];
  const summary = core.summary.addHeading('codeidx index', 2).addTable([
    [
      { data: 'Figure', header: true },
      { data: 'Value', header: true },
    ],
    ...rows,
  ]);
  const skipped = Object.entries(c.skipped).sort(([a], [b]) => a.localeCompare(b));
  if (skipped.length > 0) {
    summary.addHeading('Skipped files', 3).addTable([
      [
        { data: 'Reason', header: true },
        { data: 'Files', header: true },
        { data: 'Examples', header: true },
      ],
      ...skipped.map(([reason, n]) => {
        const examples = report.skippedExamples[reason as SkipReason] ?? [];
        const shown = examples
          .slice(0, 5)
          .map((p) => `<code>${escapeHtml(p)}</code>`)
          .join(', ');
        return [reason, String(n ?? 0), examples.length > 5 ? `${shown}, …` : shown];
      }),
    ]);
  }
  await summary.write();
}

/** Job summary of a ref deletion. */
export async function writeDeleteSummary(
  repo: string,
  ref: string,
  points: number,
  why: string,
): Promise<void> {
  await core.summary
    .addHeading('codeidx index', 2)
    .addRaw(
      `Dropped the index of <code>${escapeHtml(repo)}</code> <code>${escapeHtml(ref)}</code>: ${points} points (${escapeHtml(why)}).`,
      true,
    )
    .write();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}
