import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { POINT_ID_NAMESPACE, pointId } from '../../src/core/identity.js';

describe('pointId', () => {
  it('is the UUID v5 of the documented name, for ASCII, non-ASCII and astral paths', () => {
    const paths = ['src/a.ts', 'docs/überblick.md', 'i18n/日本語/読む.py', 'emoji/😀.txt', 'x'.repeat(500)];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (const path of paths) {
      for (let i = 0; i < 50; i++) {
        const scope = { repo: `acme/r${rand() % 5}`, ref: `refs/heads/b${rand() % 3}` };
        const ordinal = rand() % 1000;
        const hash = rand().toString(16).padStart(64, '0');
        expect(pointId(scope, path, ordinal, hash)).toBe(
          uuidv5(
            `${scope.repo}\u0000${scope.ref}\u0000${path}\u0000${ordinal}\u0000${hash}`,
            POINT_ID_NAMESPACE,
          ),
        );
      }
    }
  });

  it('keeps the ids of stored points (a fixed example)', () => {
    expect(pointId({ repo: 'acme/widgets', ref: 'refs/heads/main' }, 'src/math.ts', 3, 'a'.repeat(64))).toBe(
      '787f8440-cde8-5c7c-b284-6ea6bc9c5853',
    );
  });
});
