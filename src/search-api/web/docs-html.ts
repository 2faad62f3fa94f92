/**
 * @module search-api/web/docs-html — interactive API docs (`GET /docs`): reads `/openapi.json` and
 * renders each operation with a form to try it. Self-contained (Swagger UI would load its assets
 * from a CDN, which offline installs and the CSP forbid).
 */

/** The HTML of the docs page. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codeidx — API docs</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script type="module" src="/assets/docs.js"></script>
</head>
<body>
<header class="top">
  <h1>codeidx API</h1>
  <nav aria-label="Links"><a href="/">Search</a> · <a href="/openapi.json">openapi.json</a></nav>
</header>
<main>
  <p id="intro"></p>
  <p><label for="token">Bearer token (shared with the search page)</label>
  <input id="token" type="password" autocomplete="off" spellcheck="false"></p>
  <div id="operations" aria-live="polite">Loading…</div>
</main>
</body>
</html>
`;

/** The docs page's script. No backticks or `${` inside. */
export const DOCS_JS = String.raw`// codeidx API docs: renders /openapi.json with a "Send" form per operation.
const TOKEN_KEY = 'codeidx.token';
const tokenInput = document.getElementById('token');
try { tokenInput.value = localStorage.getItem(TOKEN_KEY) || ''; } catch { /* no storage */ }
tokenInput.addEventListener('change', () => {
  try { localStorage.setItem(TOKEN_KEY, tokenInput.value.trim()); } catch { /* no storage */ }
});

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function send(method, pathTemplate, inputs, bodyInput, output) {
  let path = pathTemplate;
  const query = new URLSearchParams();
  for (const [param, input] of inputs) {
    const value = input.value.trim();
    if (param.in === 'path') path = path.replace('{' + param.name + '}', encodeURIComponent(value));
    else if (value) query.set(param.name, value);
  }
  const headers = { Accept: 'application/json' };
  const token = tokenInput.value.trim();
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = { method, headers };
  if (bodyInput) { headers['Content-Type'] = 'application/json'; init.body = bodyInput.value; }
  const url = path + (query.toString() ? '?' + query.toString() : '');
  output.textContent = method.toUpperCase() + ' ' + url + '\n…';
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
    output.textContent = response.status + ' ' + response.statusText + '\n\n' + shown;
  } catch (error) {
    output.textContent = 'request failed: ' + error;
  }
}

function renderOperation(path, method, op) {
  const section = el('section');
  section.className = 'op';
  const title = el('h2');
  const badge = el('span', method.toUpperCase());
  badge.className = 'method';
  title.append(badge, path);
  section.append(title, el('p', op.summary || ''));
  const form = el('form');
  const inputs = [];
  for (const param of op.parameters || []) {
    const row = el('div');
    row.className = 'param';
    const id = op.operationId + '-' + param.name;
    const label = el('label', param.name + (param.required ? ' *' : ''));
    label.htmlFor = id;
    const input = el('input');
    input.id = id;
    input.autocomplete = 'off';
    if (param.description) input.placeholder = param.description;
    input.size = 48;
    row.append(label, input);
    form.append(row);
    inputs.push([param, input]);
  }
  let bodyInput = null;
  if (op.requestBody) {
    const id = op.operationId + '-body';
    const label = el('label', 'JSON body');
    label.htmlFor = id;
    bodyInput = el('textarea');
    bodyInput.id = id;
    bodyInput.value = JSON.stringify({ q: 'parse config', k: 5 }, null, 2);
    form.append(label, bodyInput);
  }
  const button = el('button', 'Send');
  button.type = 'submit';
  form.append(button);
  const output = el('pre');
  output.setAttribute('aria-live', 'polite');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(method, path, inputs, bodyInput, output);
  });
  section.append(form, output);
  return section;
}

async function main() {
  const target = document.getElementById('operations');
  try {
    const doc = await (await fetch('/openapi.json')).json();
    document.getElementById('intro').textContent = doc.info.description + ' (version ' + doc.info.version + ')';
    target.replaceChildren();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) target.append(renderOperation(path, method, op));
    }
  } catch (error) {
    target.textContent = 'Could not load /openapi.json: ' + error;
  }
}
void main();
`;
