/**
 * A diff source over the GitHub REST "compare two commits" endpoint
 * (`GET /repos/{owner}/{repo}/compare/{base}...{head}`), for when the base commit of the index is
 * not in the local git objects (a shallow `actions/checkout`, a force push). It is the second rung
 * of DESIGN.md's fallback ladder: local git → compare API → full scan by content hash.
 *
 * The endpoint compares `merge-base(base, head)` with `head` (three dots). That equals the wanted
 * `base → head` change set only when `base` is an ancestor of `head`: the response `status` is
 * `ahead` or `identical`. For `behind` and `diverged` (a force push that rewrote history) the list
 * would miss the changes between the merge base and `base`, so the source answers null and the
 * pipeline plans by content hash instead. The file list is capped by GitHub at 300 entries and is
 * not paginated (the `page` parameter pages commits only), so a list of 300 or more is treated as
 * truncated: null again. Any request failure (401/403 token without `contents: read`, 404 unknown
 * commit, 5xx, network) is logged as a warning and answers null: the scan fallback converges to the
 * same index, only slower.
 *
 * Statuses map as: added/copied → added; modified/changed → modified; removed → deleted;
 * renamed → renamed (`previous_filename` → `oldPath`); unchanged → nothing.
 *
 * @module adapters/github/github-compare-diff
 */
import type { getOctokit } from '@actions/github';
import { ConfigError, describeError } from '../../core/errors.js';
import type { FileChange, Logger } from '../../core/ports.js';

/** GitHub's documented cap on the `files` array of one compare response. */
export const COMPARE_MAX_FILES = 300;

/** One entry of the compare response's `files` (the fields used here). */
export interface CompareFile {
  readonly filename: string;
  readonly status: string;
  readonly previous_filename?: string | undefined;
}

/** The parts of a compare response this adapter reads. */
export interface CompareResponse {
  readonly status: string;
  readonly files?: readonly CompareFile[] | undefined;
}

/** Options of `GithubCompareDiff`. */
export interface GithubCompareDiffOptions {
  /** "owner/name". */
  readonly repo: string;
  /** A token with `contents: read` on the repository (the workflow's `github.token`). */
  readonly token: string;
  /** REST base URL (`GITHUB_API_URL`), default https://api.github.com. */
  readonly baseUrl?: string;
  readonly logger: Logger;
}

/**
 * Maps a compare response to `FileChange[]`, or null when it does not describe `base → head`
 * (status not `ahead`/`identical`, or a file list at the 300-entry cap). Pure.
 * @returns changes sorted by path
 */
export function changesFromCompare(response: CompareResponse): FileChange[] | null {
  if (response.status !== 'ahead' && response.status !== 'identical') return null;
  const files = response.files ?? [];
  if (files.length >= COMPARE_MAX_FILES) return null;
  const changes: FileChange[] = [];
  for (const f of files) {
    switch (f.status) {
      case 'added':
      case 'copied':
        changes.push({ status: 'added', path: f.filename });
        break;
      case 'modified':
      case 'changed':
        changes.push({ status: 'modified', path: f.filename });
        break;
      case 'removed':
        changes.push({ status: 'deleted', path: f.filename });
        break;
      case 'renamed':
        changes.push(
          f.previous_filename
            ? { status: 'renamed', path: f.filename, oldPath: f.previous_filename }
            : { status: 'added', path: f.filename },
        );
        break;
      case 'unchanged':
        break;
      default:
        // An unknown status still says the path's content may differ: re-chunking is always safe.
        changes.push({ status: 'modified', path: f.filename });
    }
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The compare API as a `remoteDiff` source for `indexTree` (see the module comment). */
export class GithubCompareDiff {
  private readonly owner: string;
  private readonly name: string;
  /** Created on the first `diff`: @actions/github (octokit) is imported only when a diff is asked for. */
  private octokit: Promise<ReturnType<typeof getOctokit>> | undefined;

  /** @throws ConfigError when `repo` is not "owner/name". */
  constructor(private readonly options: GithubCompareDiffOptions) {
    const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(options.repo);
    if (!m) {
      throw new ConfigError(`repository "${options.repo}" is not "owner/name"`, {
        hint: 'set the `repo` input to the GitHub repository, e.g. octo-org/octo-repo',
      });
    }
    this.owner = m[1]!;
    this.name = m[2]!;
  }

  /**
   * Changes from `base` to `head` (commit ids), or null when the compare API cannot give the exact
   * change set (see the module comment). Never throws: failures are warnings and answer null.
   */
  async diff(base: string, head: string): Promise<FileChange[] | null> {
    const { logger } = this.options;
    let data: CompareResponse;
    try {
      const { token, baseUrl } = this.options;
      this.octokit ??= import('@actions/github').then(({ getOctokit: create }) =>
        create(token, baseUrl ? { baseUrl } : {}),
      );
      const octokit = await this.octokit;
      const response = await octokit.rest.repos.compareCommitsWithBasehead({
        owner: this.owner,
        repo: this.name,
        basehead: `${base}...${head}`,
      });
      data = response.data;
    } catch (error) {
      logger.warn(
        `GitHub compare ${base.slice(0, 12)}...${head.slice(0, 12)} failed (${describeError(error)}); planning by content hash instead`,
      );
      return null;
    }
    const changes = changesFromCompare(data);
    if (changes === null) {
      const why =
        data.status !== 'ahead' && data.status !== 'identical'
          ? `the base is not an ancestor of the head (status ${data.status}: history was rewritten)`
          : `the file list reached GitHub's ${COMPARE_MAX_FILES}-file cap`;
      logger.info(`GitHub compare cannot give the change set: ${why}; planning by content hash`);
      return null;
    }
    logger.info(
      `GitHub compare ${base.slice(0, 12)}...${head.slice(0, 12)}: ${changes.length} changed files`,
    );
    return changes;
  }
}
