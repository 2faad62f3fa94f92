import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Package name of a bare import specifier (`@scope/pkg/sub` → `@scope/pkg`), or null. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

describe('runtime dependencies', () => {
  // action.yml caches node_modules after `npm prune --omit=dev`, and a prebuilt dist/ installs with
  // `npm ci --omit=dev`: a package that src/ imports at run time must be a `dependency`.
  it('every package src/ imports at run time is in package.json dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const missing = new Map<string, string>();
    const importRe = /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
    let seen = 0;
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const name = packageOf(m[1] ?? m[2] ?? m[3] ?? '');
        if (name === null) continue;
        seen++;
        if (!(name in pkg.dependencies)) missing.set(name, file.slice(ROOT.length));
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(Object.fromEntries(missing)).toEqual({});
  });
});
