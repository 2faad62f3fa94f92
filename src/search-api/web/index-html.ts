/**
 * @module search-api/web/index-html — the search page (`GET /`). Static HTML, no inline script or
 * style (the Content-Security-Policy forbids both); behaviour lives in `/assets/app.js` (APP_JS).
 * Inlined as a TypeScript string so that it ships the same way under tsx and in a tsc build.
 */
import { MAX_QUERY_CHARS } from '../../core/search-service.js';

/** Options of the page. */
export interface IndexHtmlOptions {
  /** Whether the API needs a token for every repository (the token field is then open at first). */
  readonly tokenRequired: boolean;
}

/** The HTML of the search page. Contains no user data, so no escaping is needed. */
export function renderIndexHtml(options: IndexHtmlOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codeidx — code search</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script type="module" src="/assets/app.js"></script>
</head>
<body data-token-required="${options.tokenRequired ? 'true' : 'false'}">
<header class="top">
  <h1>codeidx</h1>
  <nav aria-label="Links"><a href="/docs">API docs</a></nav>
</header>
<main>
  <form id="search-form" role="search" aria-label="Code search">
    <div class="query-row">
      <label for="q" class="visually-hidden">Search code</label>
      <input id="q" name="q" type="search" autocomplete="off" spellcheck="false" autofocus
        maxlength="${MAX_QUERY_CHARS}" placeholder="Search code, e.g. parse config file" aria-describedby="q-help">
      <button type="submit">Search</button>
    </div>
    <p id="q-help" class="help">Press <kbd>/</kbd> to focus the search box and <kbd>Enter</kbd> to search.</p>
    <fieldset class="filters">
      <legend>Filters</legend>
      <label for="repo">Repository</label>
      <input id="repo" name="repo" type="text" autocomplete="off" spellcheck="false" placeholder="owner/name">
      <label for="path">Path</label>
      <input id="path" name="path" type="text" autocomplete="off" spellcheck="false" placeholder="src/core">
      <label for="lang">Language</label>
      <input id="lang" name="lang" type="text" autocomplete="off" spellcheck="false" placeholder="typescript">
      <label for="mode">Mode</label>
      <select id="mode" name="mode">
        <option value="hybrid">hybrid (semantic + keywords)</option>
        <option value="semantic">semantic</option>
        <option value="lexical">lexical (keywords)</option>
      </select>
    </fieldset>
    <details id="token-box">
      <summary>Access token</summary>
      <label for="token">Bearer token (kept in this browser's local storage)</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false">
      <button type="button" id="forget-token">Forget token</button>
    </details>
  </form>
  <p id="status" role="status" aria-live="polite"></p>
  <ol id="results" class="results" aria-label="Search results"></ol>
</main>
</body>
</html>
`;
}
