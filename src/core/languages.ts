/**
 * Language detection by file name. Language ids are lowercase and stable (stored in payloads and
 * used by `--lang` filters). Languages with a tree-sitter grammar get symbol-aware chunks; every other
 * text file gets line windows.
 *
 * @module core/languages
 */

/** Languages the tree-sitter chunker parses. */
export const PARSED_LANGUAGES = [
  'typescript',
  'tsx',
  'javascript',
  'python',
  'go',
  'rust',
  'java',
  'c',
  'cpp',
  'csharp',
  'ruby',
  'php',
] as const;

/** A language with a tree-sitter grammar. */
export type ParsedLanguage = (typeof PARSED_LANGUAGES)[number];

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', mts: 'typescript', cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  py: 'python', pyi: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  c: 'c', h: 'c',
  cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', hxx: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
  // Text languages: line windows.
  md: 'markdown', markdown: 'markdown', mdx: 'markdown', rst: 'rst', txt: 'text', adoc: 'asciidoc',
  json: 'json', jsonc: 'json', json5: 'json',
  yml: 'yaml', yaml: 'yaml', toml: 'toml', ini: 'ini', cfg: 'ini', conf: 'ini', properties: 'properties',
  xml: 'xml', html: 'html', htm: 'html', css: 'css', scss: 'scss', less: 'less', vue: 'vue', svelte: 'svelte',
  sh: 'shell', bash: 'shell', zsh: 'shell', fish: 'shell', ps1: 'powershell',
  sql: 'sql', graphql: 'graphql', gql: 'graphql', proto: 'protobuf',
  kt: 'kotlin', kts: 'kotlin', swift: 'swift', scala: 'scala', dart: 'dart', lua: 'lua', pl: 'perl', pm: 'perl',
  r: 'r', jl: 'julia', ex: 'elixir', exs: 'elixir', erl: 'erlang', hs: 'haskell', ml: 'ocaml', clj: 'clojure',
  m: 'objc', mm: 'objc', s: 'assembly', asm: 'assembly', zig: 'zig', nim: 'nim', tf: 'hcl', hcl: 'hcl',
  gradle: 'groovy', groovy: 'groovy', cmake: 'cmake', mk: 'make', tmpl: 'template', tpl: 'template',
};

const BY_NAME: Record<string, string> = {
  Makefile: 'make', makefile: 'make', GNUmakefile: 'make', Dockerfile: 'dockerfile', Containerfile: 'dockerfile',
  Rakefile: 'ruby', Gemfile: 'ruby', Jenkinsfile: 'groovy', 'CMakeLists.txt': 'cmake',
  '.gitignore': 'ignore', '.gitattributes': 'gitattributes', '.editorconfig': 'ini',
  README: 'text', LICENSE: 'text', CHANGELOG: 'text', AUTHORS: 'text', CONTRIBUTING: 'text',
};

/**
 * The language of a repo-relative path, or null when the file is not a known text format
 * (such files are still indexed as `text` if they decode as UTF-8 — see the file filter).
 */
export function detectLanguage(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const byName = BY_NAME[name];
  if (byName) return byName;
  if (name.startsWith('Dockerfile.')) return 'dockerfile';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** Whether the tree-sitter chunker has a grammar for `language`. */
export function isParsedLanguage(language: string): language is ParsedLanguage {
  return (PARSED_LANGUAGES as readonly string[]).includes(language);
}
