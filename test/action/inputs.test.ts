import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../src/core/errors.js';
import { INPUT_DEFAULTS, readInputs } from '../../src/action/inputs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

function errorOf(values: Record<string, string>): ConfigError {
  try {
    readInputs(reader(values));
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readInputs', () => {
  it('applies the defaults of action.yml', () => {
    const inputs = readInputs(reader({}));
    expect(inputs).toMatchObject({
      path: '.',
      qdrantUrl: null,
      model: 'codeidx-static',
      device: 'auto',
      mode: 'incremental',
      include: [],
      batchSize: 'auto',
      cache: true,
      cacheRestore: 'lazy',
      maxFileBytes: 1024 * 1024,
      shard: null,
      storePath: '.codeidx',
      repo: null,
      ref: null,
    });
  });

  it('parses every value form', () => {
    const inputs = readInputs(
      reader({
        'qdrant-url': 'https://q.example:6333',
        'batch-size': '64',
        cache: 'False',
        'cache-restore': 'eager',
        'max-file-size': '512k',
        shard: '2/4',
        include: 'src/**\n lib/**.ts , docs/**\n',
        ref: 'refs/heads/dev',
        repo: 'octo-org/octo-repo',
      }),
    );
    expect(inputs.qdrantUrl).toBe('https://q.example:6333');
    expect(inputs.batchSize).toBe(64);
    expect(inputs.cache).toBe(false);
    expect(inputs.cacheRestore).toBe('eager');
    expect(inputs.maxFileBytes).toBe(512 * 1024);
    expect(inputs.shard).toEqual({ index: 2, count: 4 });
    expect(inputs.include).toEqual(['src/**', 'lib/**.ts', 'docs/**']);
  });

  it.each([
    ['device', 'gpu', 'must be one of auto, cpu, cuda'],
    ['batch-size', '0', 'integer from 1 to 4096'],
    ['batch-size', 'lots', 'integer from 1 to 4096'],
    ['max-file-size', 'huge', 'size such as'],
    ['shard', '0/4', '"i/n"'],
    ['qdrant-url', 'ftp://x', 'http(s) URL'],
    ['ref', 'main', 'full ref'],
    ['repo', 'widgets', 'owner/name'],
    ['cache', 'yes', 'true or false'],
    ['cache-restore', 'sometimes', 'must be one of lazy, eager'],
    ['collection', 'a b', 'letters, digits'],
  ])('names the input %s for the invalid value %s', (name, value, message) => {
    const error = errorOf({ [name]: value });
    expect(error.message).toContain(`invalid input "${name}"`);
    expect(error.message).toContain(message);
    expect(error.hint).toContain(name);
  });
});

describe('action.yml', () => {
  const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { description?: string; default?: string }>;
    outputs: Record<string, { description?: string; value?: string }>;
    runs: { using: string; steps: Array<{ id?: string; env?: Record<string, string> }> };
  };

  it('documents every input with a description and the default inputs.ts applies', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(INPUT_DEFAULTS).sort());
    for (const [name, spec] of Object.entries(action.inputs)) {
      expect(spec.description, name).toBeTruthy();
      const expected =
        name === 'github-token' ? '${{ github.token }}' : INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS];
      expect(spec.default, name).toBe(expected);
    }
  });

  it('runs on the host (composite) and maps every input to the index step', () => {
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps.find((s) => s.id === 'index')!;
    for (const name of Object.keys(INPUT_DEFAULTS)) {
      expect(step.env?.[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`], name).toBe(
        `\${{ inputs.${name} }}`,
      );
    }
    expect(Object.keys(action.outputs).sort()).toEqual([
      'cache-hit-rate',
      'chunks-embedded',
      'commit',
      'duration-seconds',
      'files-indexed',
    ]);
    for (const [name, spec] of Object.entries(action.outputs))
      expect(spec.value).toBe(`\${{ steps.index.outputs.${name} }}`);
  });
});
