/**
 * @module adapters/static-model/builtin-model — `codeidx-static`, the code-search embedding model
 * shipped inside the package (models/codeidx-static): a static token-table encoder trained by
 * scripts/train-static-model.py, run by `OnnxEmbedder` like any other ONNX model, needing no download.
 *
 * The directory holds model.onnx, tokenizer.json (bert-base-uncased WordPiece with identifier-splitting
 * normalizer steps), tokenizer_config.json, codeidx-model.json (with the sha256 of model.onnx) and
 * MODEL_CARD.md. `resolveBuiltinModel` verifies the checksum before the model is used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { ModelError } from '../../core/errors.js';
import { checkModelChecksum } from '../onnx/model-checksum.js';
import { loadModelDirectory, type ResolvedModel } from '../hf/model-resolver.js';

/** Model id of the built-in model (also what `--model codeidx-static` names). */
export const BUILTIN_MODEL_ID = 'codeidx-static';

/**
 * Absolute path of models/codeidx-static in the package: the first `models/codeidx-static` found
 * walking up from this module's folder. The module sits three levels below the package root as source
 * (src/adapters/static-model/) and compiled (dist/adapters/static-model/), two levels below inside the
 * action's bundle (dist/action/index.js). When none is found, the source-layout path is returned, so
 * `verifyBuiltinModel` names it in its error.
 */
export function builtinModelDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let up = 1; up <= 4; up++) {
    const candidate = resolve(here, ...Array<string>(up).fill('..'), 'models', BUILTIN_MODEL_ID);
    if (existsSync(join(candidate, 'codeidx-model.json'))) return candidate;
  }
  return resolve(here, '..', '..', '..', 'models', BUILTIN_MODEL_ID);
}

const checksumSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  model: z.string().min(1).default('model.onnx'),
});

/**
 * Checks that the built-in model directory is complete and that model.onnx has the sha256 recorded
 * in codeidx-model.json. Returns the directory. `dir` defaults to `builtinModelDir()` (tests pass a copy).
 * @throws ModelError naming the missing file or the two digests on a mismatch.
 */
export function verifyBuiltinModel(dir: string = builtinModelDir()): string {
  const { modelPath, sha256 } = builtinModelFiles(dir);
  checkModelChecksum(modelPath, sha256);
  return dir;
}

/**
 * The model file of the built-in model directory and the sha256 recorded for it, after checking
 * that the files exist (the file is not read).
 * @throws ModelError naming the missing file, or for a codeidx-model.json without a valid sha256.
 */
function builtinModelFiles(dir: string): { modelPath: string; sha256: string } {
  const configPath = join(dir, 'codeidx-model.json');
  if (!existsSync(configPath)) {
    throw new ModelError(`the built-in model is missing: ${configPath} does not exist`, {
      hint: 'reinstall codeidx, or run `npm run train:model` in a checkout; pass --model <dir> to use another model',
    });
  }
  let parsed: z.infer<typeof checksumSchema>;
  try {
    parsed = checksumSchema.parse(JSON.parse(readFileSync(configPath, 'utf8')));
  } catch (cause) {
    throw new ModelError(`${configPath} has no valid sha256 of the model file`, {
      cause,
      hint: 'codeidx-model.json of the built-in model must record "sha256" (64 hex digits) of model.onnx',
    });
  }
  const modelPath = join(dir, parsed.model);
  if (!existsSync(modelPath)) {
    throw new ModelError(`the built-in model file ${modelPath} is missing`, {
      hint: 'reinstall codeidx (the package ships models/codeidx-static/model.onnx)',
    });
  }
  return { modelPath, sha256: parsed.sha256 };
}

/** Options of `resolveBuiltinModel`. */
export interface ResolveBuiltinOptions {
  /**
   * Do not hash model.onnx here; return its recorded sha256 as `sha256`, for `OnnxEmbedder.create`
   * to check where the session is made. A `WorkerEmbedder` so checks it in its worker thread: ≈ 20 ms
   * of hashing the model file (14 MB) off the main thread of every action run. Default false.
   */
  readonly deferChecksum?: boolean;
}

/**
 * The built-in model, ready for `OnnxEmbedder.create` (or `WorkerEmbedder.start`): verified here, or
 * with `deferChecksum` carrying the sha256 that the embedder checks before loading.
 * @throws ModelError when files are missing, the checksum does not match or the config is invalid.
 */
export async function resolveBuiltinModel(
  dir: string = builtinModelDir(),
  options: ResolveBuiltinOptions = {},
): Promise<ResolvedModel & { readonly sha256?: string }> {
  if (!options.deferChecksum) return loadModelDirectory(verifyBuiltinModel(dir));
  const { sha256 } = builtinModelFiles(dir);
  return { ...(await loadModelDirectory(dir)), sha256 };
}
