/**
 * @module adapters/onnx/model-checksum — checks a model file against its recorded sha256 (the
 * built-in model's codeidx-model.json records one). Light on purpose: imported by the main thread
 * and by embedding workers, never pulling in onnxruntime.
 */
import { readFileSync } from 'node:fs';
import { ModelError } from '../../core/errors.js';
import { sha256Hex } from '../../core/identity.js';

/**
 * Checks that `modelPath` has the sha256 `expected` (64 hex digits).
 * @throws ModelError naming both digests on a mismatch (and the fs error if the file cannot be read).
 */
export function checkModelChecksum(modelPath: string, expected: string): void {
  const actual = sha256Hex(readFileSync(modelPath));
  if (actual !== expected) {
    throw new ModelError(`checksum mismatch for ${modelPath}: expected sha256 ${expected}, got ${actual}`, {
      hint: 'the file is damaged or was replaced; reinstall codeidx (git checkout models/codeidx-static in a clone)',
    });
  }
}
