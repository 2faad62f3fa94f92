/**
 * @module search-api/web/style-css — the stylesheet of the search and docs pages (`GET /assets/style.css`).
 * Light and dark themes follow the system; focus is always visible.
 */

/** The page icon (a magnifier), SVG. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="13" cy="13" r="9" fill="none" stroke="#0550ae" stroke-width="4"/><path d="M20 20l9 9" stroke="#0550ae" stroke-width="4" stroke-linecap="round"/></svg>';

/** The stylesheet. */
export const STYLE_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --accent: #0550ae;
  --code-bg: #f6f8fa; --mark: #fff8c5; --mark-fg: #1f2328; --error: #a40e26;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --accent: #4493f8;
    --code-bg: #151b23; --mark: #5a4a00; --mark-fg: #ffffff; --error: #ff7b72; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5; }
.top { display: flex; align-items: baseline; justify-content: space-between; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--border); }
.top h1 { margin: 0; font-size: 1.25rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.query-row { display: flex; gap: 0.5rem; }
#q { flex: 1; font-size: 1.1rem; padding: 0.5rem 0.75rem; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; padding: 0.35rem 0.6rem; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
button[type="button"] { background: var(--bg); color: var(--fg); border-color: var(--border); }
.help { color: var(--muted); font-size: 0.875rem; margin: 0.25rem 0 0.75rem; }
kbd { border: 1px solid var(--border); border-radius: 4px; padding: 0 0.3rem; font-size: 0.8rem; }
.filters { display: grid; grid-template-columns: repeat(4, auto minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: center; min-width: 0; border: 1px solid var(--border); border-radius: 6px; }
.filters input, .filters select { width: 100%; min-width: 0; }
@media (max-width: 50rem) { .filters { grid-template-columns: auto minmax(0, 1fr); } }
details { margin: 0.75rem 0; }
details label { display: block; margin: 0.4rem 0 0.2rem; }
#status { min-height: 1.5rem; color: var(--muted); }
#status.error { color: var(--error); }
.results { list-style: none; padding: 0; margin: 0; }
.result { border: 1px solid var(--border); border-radius: 6px; margin: 0 0 1rem; overflow: hidden; }
.result-title { font-size: 1rem; margin: 0; padding: 0.5rem 0.75rem 0; word-break: break-all; }
.result-meta { margin: 0; padding: 0 0.75rem 0.5rem; color: var(--muted); font-size: 0.85rem; }
.kind { border: 1px solid var(--border); border-radius: 1rem; padding: 0 0.45rem; font-size: 0.75rem; }
.snippet { margin: 0; padding: 0.6rem 0.75rem; background: var(--code-bg); overflow-x: auto; font-size: 0.85rem; max-height: 24rem; }
mark { background: var(--mark); color: var(--mark-fg); border-radius: 2px; }
.op { border: 1px solid var(--border); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0 0 1rem; }
.op h2 { font-size: 1rem; margin: 0 0 0.25rem; }
.method { font-family: ui-monospace, monospace; font-weight: bold; margin-right: 0.5rem; }
.op label { display: inline-block; min-width: 6rem; }
.op .param { margin: 0.2rem 0; }
.op textarea { width: 100%; min-height: 6rem; font-family: ui-monospace, monospace; }
.op pre { background: var(--code-bg); padding: 0.5rem; overflow-x: auto; max-height: 24rem; }
`;
