/**
 * @module app/markdown — escaping helpers for GitHub-flavoured Markdown built from untrusted text
 * (queries, paths, symbols, code). Rules from the GFM spec (https://github.github.com/gfm/):
 * a code span or fence is closed only by a backtick run of the same length (§6.1, §4.5), and a `|`
 * inside a table cell must be escaped even in a code span (§4.10).
 */

/** Length of the longest run of `char` in `text` (0 when absent). */
function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/**
 * An inline code span showing `text` literally, whatever backticks it holds: the delimiter is one
 * backtick longer than the longest run inside, padded with spaces when the text starts or ends with
 * a backtick (GFM §6.1). Line breaks become spaces (a span is one line). Mentions (`@team`) and
 * HTML inside a code span are inert.
 */
export function codeSpan(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const ticks = '`'.repeat(longestRun(flat, '`') + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat.length === 0 ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** `codeSpan` that is also safe inside a table cell (`|` escaped). */
export function codeCell(text: string): string {
  return codeSpan(text).replace(/\|/g, '\\|');
}

/**
 * A fenced code block holding `code` literally: the fence is longer than any backtick run in the
 * code (at least 3), so a snippet containing ``` cannot close it early and break the comment.
 * `info` is reduced to a safe language tag (letters, digits, `+#-_.`).
 */
export function codeFence(code: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1));
  const lang = info.replace(/[^A-Za-z0-9+#._-]/g, '').slice(0, 32);
  const body = code.endsWith('\n') ? code : `${code}\n`;
  return `${fence}${lang}\n${body}${fence}`;
}

/** Escapes the HTML metacharacters `& < > "` (for text inside `<summary>` and other tags). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
