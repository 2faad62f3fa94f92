/**
 * @module search-api/web/app-js — the search page's script (`GET /assets/app.js`), a vanilla ES
 * module with no build step. Kept as a string so that it ships under tsx and in a tsc build alike.
 *
 * Safety: results are rendered with `textContent` and DOM nodes only (never `innerHTML`), so code is
 * escaped by construction; query terms are then wrapped in `<mark>` nodes. Links are followed only
 * when they are https URLs.
 */

/** The script. No backticks or `${` inside: it is a template literal. */
export const APP_JS = String.raw`// codeidx search page (served by the API; no build step)
const TOKEN_KEY = 'codeidx.token';
const FILTERS = ['repo', 'path', 'lang', 'mode'];
const $ = (id) => document.getElementById(id);
const form = $('search-form');
const q = $('q');
const tokenBox = $('token-box');
const tokenInput = $('token');
const statusEl = $('status');
const results = $('results');
let sequence = 0;

function readToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}
function writeToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives in the field only */ }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(message, isError) {
  statusEl.textContent = message;
  statusEl.classList.toggle('error', Boolean(isError));
}

/** Words of the query worth highlighting: identifiers and their camelCase / snake_case parts. */
function queryTerms(query) {
  const terms = new Set();
  for (const word of query.split(/[^\p{L}\p{N}_]+/u)) {
    if (word.length >= 2) terms.add(word.toLowerCase());
    for (const part of word.split(/_+|(?<=[\p{Ll}\p{N}])(?=\p{Lu})/u)) {
      if (part.length >= 2) terms.add(part.toLowerCase());
    }
  }
  return [...terms].sort((a, b) => b.length - a.length).slice(0, 32);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^$()|[\]{}\\/-]/g, '\\$&');
}

/** Appends text to target as text nodes, each occurrence of a term wrapped in a mark element. */
function appendHighlighted(target, text, terms) {
  if (terms.length === 0) { target.append(text); return; }
  const pattern = new RegExp(terms.map(escapeRegExp).join('|'), 'giu');
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) target.append(text.slice(last, match.index));
    target.append(el('mark', '', match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) target.append(text.slice(last));
}

function shortRef(ref) {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

function renderResult(result, terms) {
  const item = el('li', 'result');
  const title = el('h2', 'result-title');
  const location = result.repo + ' › ' + result.path + ':' + result.startLine +
    (result.endLine !== result.startLine ? '–' + result.endLine : '');
  if (/^https:\/\//.test(result.permalink)) {
    const link = el('a', '', location);
    link.href = result.permalink;
    link.rel = 'noopener noreferrer';
    link.title = 'Open on GitHub at ' + (result.commit ? 'commit ' + result.commit.slice(0, 12) : shortRef(result.ref));
    title.append(link);
  } else {
    title.append(location);
  }
  item.append(title);
  const meta = el('p', 'result-meta');
  if (result.symbol) {
    meta.append(el('span', 'kind', result.symbolKind));
    meta.append(' ');
    meta.append(el('code', 'symbol', result.symbol));
    meta.append(' · ');
  }
  meta.append(result.language + ' · ' + shortRef(result.ref) +
    (result.commit ? ' @ ' + result.commit.slice(0, 7) : '') + ' · score ' + result.score.toPrecision(3));
  item.append(meta);
  const pre = el('pre', 'snippet');
  const code = el('code');
  appendHighlighted(code, result.snippet, terms);
  if (result.truncated) code.append('\n…');
  pre.append(code);
  pre.tabIndex = 0;
  pre.setAttribute('aria-label', 'Code of ' + result.path + ' from line ' + result.startLine);
  item.append(pre);
  return item;
}

function formParams() {
  const params = new URLSearchParams();
  params.set('q', q.value.trim());
  for (const name of FILTERS) {
    const value = $(name).value.trim();
    if (value && !(name === 'mode' && value === 'hybrid')) params.set(name, value);
  }
  return params;
}

async function search() {
  const text = q.value.trim();
  if (!text) { setStatus('Type something to search for.', true); q.focus(); return; }
  const params = formParams();
  history.replaceState(null, '', '?' + params.toString());
  const mine = ++sequence;
  setStatus('Searching…');
  results.setAttribute('aria-busy', 'true');
  const headers = { Accept: 'application/json' };
  const token = tokenInput.value.trim();
  if (token) headers.Authorization = 'Bearer ' + token;
  let response;
  let body = null;
  try {
    response = await fetch('/v1/search?' + params.toString(), { headers });
    body = await response.json().catch(() => null);
  } catch {
    if (mine === sequence) { results.removeAttribute('aria-busy'); setStatus('The server could not be reached.', true); }
    return;
  }
  if (mine !== sequence) return;
  results.removeAttribute('aria-busy');
  if (!response.ok) {
    let message = body && body.error ? body.error.message : 'HTTP ' + response.status;
    if (body && body.error && body.error.hint) message += ' (' + body.error.hint + ')';
    if (response.status === 401) { tokenBox.open = true; message += ' — enter a token under “Access token”.'; }
    if (response.status === 429) message += ' Retry in ' + (response.headers.get('Retry-After') || 'a few') + ' s.';
    results.replaceChildren();
    setStatus(message, true);
    return;
  }
  const terms = queryTerms(body.query);
  results.replaceChildren(...body.results.map((r) => renderResult(r, terms)));
  const count = body.results.length;
  setStatus(count === 0
    ? 'No results for “' + body.query + '”.'
    : count + (count === 1 ? ' result' : ' results') + ' in ' + Math.round(body.tookMs) + ' ms (' + body.mode + ').');
}

tokenInput.value = readToken();
if (document.body.dataset.tokenRequired === 'true' && !tokenInput.value) tokenBox.open = true;
tokenInput.addEventListener('change', () => writeToken(tokenInput.value.trim()));
$('forget-token').addEventListener('click', () => { tokenInput.value = ''; writeToken(''); tokenInput.focus(); });

form.addEventListener('submit', (event) => { event.preventDefault(); void search(); });

document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = target instanceof HTMLElement &&
    (target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
  if (typing) return;
  event.preventDefault();
  q.focus();
  q.select();
});

// A shared link (?q=…&repo=…) fills the form and runs the search.
const initial = new URLSearchParams(location.search);
if (initial.get('q')) {
  q.value = initial.get('q');
  for (const name of FILTERS) if (initial.get(name)) $(name).value = initial.get(name);
  void search();
}
`;
