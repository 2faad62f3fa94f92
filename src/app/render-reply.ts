/**
 * @module app/render-reply — the Markdown bodies the App posts: results, help, "not indexed", errors.
 * Every piece of untrusted text (query, path, symbol, code) goes through `markdown.ts` escaping.
 */
import { permalink } from '../core/identity.js';
import type { SearchHit, SearchMode } from '../core/types.js';
import { DEFAULT_APP_K, MAX_APP_K, truncate } from './parse-command.js';
import { codeCell, codeFence, codeSpan, escapeHtml } from './markdown.js';

/** GitHub's limit on a comment body, in characters. */
export const MAX_COMMENT_CHARS = 65_536;

/** Snippets stop being added once a reply reaches this size (room for the footer). */
const SNIPPET_BUDGET_CHARS = 60_000;

/** Lines and characters shown of one snippet (the permalink shows the rest). */
export const SNIPPET_MAX_LINES = 30;
export const SNIPPET_MAX_CHARS = 3_000;

/** Start of the hidden marker; the full marker is `<!-- codeidx:reply-to:<comment id> -->`. */
export const MARKER_PREFIX = '<!-- codeidx:reply-to:';

/** The hidden marker tying a reply to the command comment `commentId`. */
export function replyMarker(commentId: number): string {
  return `${MARKER_PREFIX}${commentId} -->`;
}

/** Whether `body` is a codeidx reply (carries a marker). */
export function isReplyBody(body: string): boolean {
  return body.includes(MARKER_PREFIX);
}

/** `body` prefixed with the marker of `commentId`. */
export function withMarker(commentId: number, body: string): string {
  return `${replyMarker(commentId)}\n${body}`;
}

/** "refs/heads/main" → "main"; other refs unchanged. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** What a results reply shows. */
export interface ResultsView {
  readonly query: string;
  readonly repo: string;
  readonly ref: string;
  /** The indexed commit the hits come from (40 hex), or null. */
  readonly commit: string | null;
  /** The mode actually used (may differ from the requested one on a lexical-only index). */
  readonly mode: SearchMode;
  readonly requestedMode: SearchMode;
  readonly hits: readonly SearchHit[];
  /** e.g. "https://github.com" or a GHES root. */
  readonly baseUrl: string;
  /** Filters applied, shown in the header ("path `src`", "lang `go`"). */
  readonly filters: readonly string[];
  /** Set when the ref searched is not the one first asked for (e.g. base branch not indexed). */
  readonly note?: string;
}

function cutSnippet(text: string): { code: string; cut: boolean } {
  const lines = text.split('\n');
  let code = lines.slice(0, SNIPPET_MAX_LINES).join('\n');
  let cut = lines.length > SNIPPET_MAX_LINES;
  if (code.length > SNIPPET_MAX_CHARS) {
    code = code.slice(0, SNIPPET_MAX_CHARS);
    cut = true;
  }
  return { code, cut };
}

function lineLabel(hit: SearchHit): string {
  return hit.startLine === hit.endLine ? `L${hit.startLine}` : `L${hit.startLine}-L${hit.endLine}`;
}

/** Formats a score: RRF scores are small (≈ 0.01–0.05), BM25 and cosine larger; 4 significant digits. */
export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toPrecision(4) : String(score);
}

/**
 * The results reply: a header (query, ref, commit, mode), a table (rank, `path#Lstart-Lend` linked at
 * the indexed commit, symbol, score) and one collapsed snippet per hit. Always under
 * `MAX_COMMENT_CHARS`: snippets are cut to `SNIPPET_MAX_LINES`/`SNIPPET_MAX_CHARS`, and those that do not
 * fit the budget are left out (the table still lists every hit).
 */
export function renderResults(view: ResultsView): string {
  const at = view.commit
    ? ` at [${codeSpan(view.commit.slice(0, 7))}](${view.baseUrl}/${view.repo}/commit/${view.commit})`
    : '';
  const filters = view.filters.length > 0 ? ` · ${view.filters.join(' · ')}` : '';
  const mode =
    view.mode === view.requestedMode
      ? view.mode
      : `${view.mode} (${view.requestedMode} needs a model; this index is lexical-only)`;
  const head = [
    `🔎 **${view.hits.length} result${view.hits.length === 1 ? '' : 's'}** for ${codeSpan(truncate(view.query, 200))} in ${codeSpan(shortRef(view.ref))}${at} · ${mode}${filters}`,
  ];
  if (view.note) head.push('', `> ${view.note}`);
  if (view.hits.length === 0) {
    head.push(
      '',
      'No code matched. Try other words, drop a filter, or `--mode lexical` for exact identifiers.',
    );
    return head.join('\n');
  }
  const table = ['', '| # | location | symbol | score |', '|--:|---|---|--:|'];
  view.hits.forEach((hit, i) => {
    const loc = `${hit.path}#${lineLabel(hit)}`;
    const link = permalink(hit, view.baseUrl);
    table.push(
      `| ${i + 1} | [${codeCell(loc)}](${link}) | ${hit.symbol ? codeCell(hit.symbol) : '–'} | ${formatScore(hit.score)} |`,
    );
  });
  let out = [...head, ...table, ''].join('\n');
  let omitted = 0;
  view.hits.forEach((hit, i) => {
    const { code, cut } = cutSnippet(hit.text);
    const summary = `${i + 1}. ${escapeHtml(`${hit.path}#${lineLabel(hit)}`)}${hit.symbol ? ` — ${escapeHtml(hit.symbol)}` : ''}`;
    const block = `\n<details><summary>${summary}</summary>\n\n${codeFence(code, hit.language)}${cut ? '\n\n…(cut; open the link for the rest)' : ''}\n\n</details>\n`;
    if (out.length + block.length > SNIPPET_BUDGET_CHARS) {
      omitted++;
      return;
    }
    out += block;
  });
  if (omitted > 0)
    out += `\n_${omitted} snippet${omitted === 1 ? '' : 's'} left out to fit in one comment; the links above show the code._\n`;
  return out;
}

/** Syntax help, answered to `/search help`. */
export function renderHelp(): string {
  return [
    '**codeidx** searches the code of this repository (semantic + keyword, hybrid by default).',
    '',
    '```',
    '/search <query> [--path <folder>] [--lang <language>] [--k <n>] [--mode hybrid|semantic|lexical] [--kind <kind>]',
    '```',
    '',
    '| option | meaning | default |',
    '|---|---|---|',
    '| `--path src/core` | only files under this folder (or this file) | whole repository |',
    '| `--lang ts` | only this language (a file extension or a language id: `go`, `python`) | all |',
    `| \`--k 10\` | number of results, 1–${MAX_APP_K} | ${DEFAULT_APP_K} |`,
    '| `--mode lexical` | `hybrid` (both), `semantic` (meaning), `lexical` (exact words, identifiers) | `hybrid` |',
    '| `--kind function` | only this symbol kind (`function`, `method`, `class`, `interface`, …) | all |',
    '',
    'Examples: `/search parse the config file --path src/ --lang ts` · `/search "retry with backoff" --k 10` · `/search "--verbose" --mode lexical`',
    '',
    '- Put the command on a line of its own; text before or after it is fine. Quote words that start with `--`.',
    '- In a pull request the head branch is searched when it is indexed, else the base branch; in an issue, the default branch.',
    '- Only this repository is searched. Edit your comment to run it again: the reply is updated.',
    '- 😕 on your comment means the repository hit its rate limit: try again in a minute.',
  ].join('\n');
}

/**
 * Workflow snippet shown to repositories that are not indexed: the "Index on push" workflow of
 * docs/action.md (every branch, so pull request heads are searchable; `delete` drops a branch's index).
 * The App reads the same Qdrant store as the action writes.
 */
export const SETUP_WORKFLOW = [
  '# .github/workflows/codeidx.yml',
  'name: codeidx',
  'on:',
  '  push:',
  "    branches: ['**']",
  '  delete:',
  'permissions:',
  '  contents: read',
  'concurrency:',
  '  group: codeidx-${{ github.event.ref || github.ref }}',
  '  cancel-in-progress: false',
  'jobs:',
  '  index:',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - uses: actions/checkout@v4',
  "        if: github.event_name == 'push' && !github.event.deleted",
  '      - uses: org/codeidx@v1',
  '        with:',
  '          qdrant-url: ${{ secrets.QDRANT_URL }}',
  '          qdrant-api-key: ${{ secrets.QDRANT_API_KEY }}',
].join('\n');

/** Reply for a repository with no index at all: how to add the action. */
export function renderNotIndexed(repo: string): string {
  return [
    `**codeidx** has no index of ${codeSpan(repo)} yet, so there is nothing to search.`,
    '',
    'Add the codeidx action to index it on every push (ask whoever runs this App for the `QDRANT_URL` and `QDRANT_API_KEY` secrets):',
    '',
    codeFence(SETUP_WORKFLOW, 'yaml'),
    '',
    'Once the first run has finished, comment `/search <query>` again (or edit this comment).',
  ].join('\n');
}

/** Reply for a repository that is indexed, but not at any ref this comment may search. */
export function renderRefNotIndexed(
  repo: string,
  tried: readonly string[],
  indexed: readonly string[],
): string {
  const list = indexed
    .slice(0, 10)
    .map((r) => codeSpan(shortRef(r)))
    .join(', ');
  return [
    `**codeidx** has not indexed ${tried.map((r) => codeSpan(shortRef(r))).join(' or ')} of ${codeSpan(repo)} yet.`,
    '',
    `Indexed: ${list}${indexed.length > 10 ? ', …' : ''}. Add the branch to \`on.push.branches\` of the codeidx workflow, or wait for its run to finish.`,
  ].join('\n');
}

/** Reply for a user mistake (bad option, empty or over-long query). */
export function renderInvalid(message: string, hint?: string): string {
  return [
    `⚠️ **codeidx** could not run this search: ${message}.`,
    ...(hint ? ['', `Tip: ${hint}.`] : []),
    '',
    'Comment `/search help` for the syntax.',
  ].join('\n');
}
