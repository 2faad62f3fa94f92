/**
 * @module action/github-event — reads the workflow run's context (GITHUB_* variables and the event
 * payload at GITHUB_EVENT_PATH) and decides what the run does:
 *
 * | event | decision |
 * | --- | --- |
 * | `push` to a branch | index the branch, planned by diff from the last complete commit in the store (never from `before`) |
 * | `push` with `deleted: true`, or `delete` | drop the ref's points and state |
 * | `push` of a tag | skip (tags are not indexed unless the `ref` input names one) |
 * | `schedule`, `workflow_dispatch` | full re-index of GITHUB_REF by content hash (`mode: full` also re-chunks) |
 * | any other event on a branch or tag ref | index it, planned by diff |
 * | any other event on another ref (`refs/pull/…`) | skip, unless the `ref` input is set |
 *
 * We read the variables ourselves rather than through `@actions/github`'s `context`, which reads
 * them once at import: the action's tests run several events in one process.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from '../core/errors.js';

/** What the run does. */
export type RunDecision =
  | {
      readonly kind: 'index';
      readonly ref: string;
      /** `diff` for pushes (incremental), `scan` for scheduled and manual runs. */
      readonly planSource: 'diff' | 'scan';
      /** The commit the event is about (push `after`, else GITHUB_SHA), or null. */
      readonly eventCommit: string | null;
      /** One line for the log: why this plan. */
      readonly why: string;
    }
  | { readonly kind: 'delete-ref'; readonly ref: string; readonly why: string }
  | { readonly kind: 'skip'; readonly why: string };

/** The GITHUB_* variables this action reads. */
export interface GithubEnv {
  readonly eventName: string;
  readonly eventPath: string | null;
  /** GITHUB_REF, e.g. refs/heads/main. */
  readonly ref: string | null;
  readonly sha: string | null;
  /** GITHUB_REPOSITORY, "owner/name". */
  readonly repository: string | null;
  readonly workspace: string | null;
  readonly runId: string;
  readonly runAttempt: string;
  readonly apiUrl: string | null;
  /** RUNNER_TEMP: a per-job scratch folder, or null outside a runner. */
  readonly runnerTemp: string | null;
}

/** Reads the GITHUB_* variables (nothing is required here; `decideRun` says what is missing). */
export function readGithubEnv(env: NodeJS.ProcessEnv = process.env): GithubEnv {
  const v = (name: string): string | null => {
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? value.trim() : null;
  };
  return {
    eventName: v('GITHUB_EVENT_NAME') ?? 'workflow_dispatch',
    eventPath: v('GITHUB_EVENT_PATH'),
    ref: v('GITHUB_REF'),
    sha: v('GITHUB_SHA'),
    repository: v('GITHUB_REPOSITORY'),
    workspace: v('GITHUB_WORKSPACE'),
    runId: v('GITHUB_RUN_ID') ?? 'local',
    runAttempt: v('GITHUB_RUN_ATTEMPT') ?? '1',
    apiUrl: v('GITHUB_API_URL'),
    runnerTemp: v('RUNNER_TEMP'),
  };
}

const FULL_REF = /^refs\/\S+$/;
const INDEXABLE_REF = /^refs\/(heads|tags)\/\S+$/;
const ZERO_SHA = /^0{40}$/;

const pushSchema = z.object({
  ref: z.string(),
  before: z.string().optional(),
  after: z.string().optional(),
  deleted: z.boolean().optional(),
  created: z.boolean().optional(),
  forced: z.boolean().optional(),
});

const deleteSchema = z.object({
  ref: z.string().min(1),
  ref_type: z.enum(['branch', 'tag']),
});

function readPayload(path: string | null, eventName: string): unknown {
  if (!path) {
    throw new ConfigError(`GITHUB_EVENT_PATH is not set for a "${eventName}" event`, {
      hint: 'run the action inside a GitHub Actions workflow, or set GITHUB_EVENT_PATH to the event JSON',
    });
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new ConfigError(`cannot read the event payload ${path}: ${(error as Error).message}`, {
      hint: 'GITHUB_EVENT_PATH must name the JSON file of the triggering event',
    });
  }
}

function checkRef(ref: string, source: string): string {
  if (!FULL_REF.test(ref)) {
    throw new ConfigError(`the ${source} names ref "${ref}", which is not a full ref (refs/heads/<branch>)`, {
      hint: 'set the `ref` input to the ref to index, e.g. refs/heads/main',
    });
  }
  return ref;
}

/**
 * Decides what this run does from the event (see the module table). `refOverride` (the `ref`
 * input) replaces the event's ref for indexing and deletion alike.
 * @throws ConfigError for an unreadable payload or a ref that is not a full ref.
 */
export function decideRun(gh: GithubEnv, refOverride: string | null): RunDecision {
  const name = gh.eventName;
  if (name === 'delete') {
    const parsed = deleteSchema.safeParse(readPayload(gh.eventPath, name));
    if (!parsed.success) {
      throw new ConfigError('the delete event payload has no ref/ref_type', {
        hint: "this action expects GitHub's delete event",
      });
    }
    const { ref, ref_type } = parsed.data;
    const full =
      refOverride ??
      (ref.startsWith('refs/') ? ref : `refs/${ref_type === 'branch' ? 'heads' : 'tags'}/${ref}`);
    return { kind: 'delete-ref', ref: checkRef(full, 'delete event'), why: `${ref_type} ${ref} was deleted` };
  }
  if (name === 'push') {
    const parsed = pushSchema.safeParse(readPayload(gh.eventPath, name));
    if (!parsed.success) {
      throw new ConfigError('the push event payload has no ref', {
        hint: "this action expects GitHub's push event",
      });
    }
    const p = parsed.data;
    const ref = refOverride ?? checkRef(p.ref, 'push event');
    const after = p.after && !ZERO_SHA.test(p.after) ? p.after : null;
    if (p.deleted === true)
      return { kind: 'delete-ref', ref, why: `${p.ref} was deleted (push with deleted: true)` };
    if (!refOverride && !ref.startsWith('refs/heads/')) {
      return {
        kind: 'skip',
        why: `${ref} is not a branch; tags are indexed only when the \`ref\` input names them`,
      };
    }
    const why = p.created
      ? 'new ref: incremental from the last complete commit in the store, or a content-hash scan'
      : p.forced
        ? 'force push: incremental from the last complete commit in the store (not from `before`)'
        : 'push: incremental from the last complete commit in the store';
    return { kind: 'index', ref, planSource: 'diff', eventCommit: after ?? gh.sha, why };
  }
  const ref = refOverride ?? (gh.ref ? checkRef(gh.ref, 'GITHUB_REF variable') : null);
  if (!ref) {
    throw new ConfigError(`GITHUB_REF is not set for a "${name}" event`, {
      hint: 'set the `ref` input to the ref to index, e.g. refs/heads/main',
    });
  }
  if (name === 'schedule' || name === 'workflow_dispatch') {
    return {
      kind: 'index',
      ref,
      planSource: 'scan',
      eventCommit: gh.sha,
      why: `${name}: full re-index by content hash`,
    };
  }
  if (!refOverride && !INDEXABLE_REF.test(ref)) {
    return {
      kind: 'skip',
      why: `a "${name}" event on ${ref} is not indexed; set the \`ref\` input to index it anyway`,
    };
  }
  return { kind: 'index', ref, planSource: 'diff', eventCommit: gh.sha, why: `${name}: incremental` };
}
