/**
 * Stand-alone entry of `codeidx eval` until the CLI wires `registerEvalCommand` (same flags):
 *
 *   npx tsx scripts/codeidx-eval.ts eval/suite2-hono.jsonl --source node_modules/hono/dist --exclude 'cjs/**' 'types/**'
 *   npx tsx scripts/codeidx-eval.ts eval/suite1-heldout.jsonl --source .data/eval-corpus
 */
import { Command, CommanderError } from 'commander';
import { registerEvalCommand } from '../src/cli/eval-command.js';
import { describeError } from '../src/core/errors.js';

const result = { code: 0 };
const program = new Command('codeidx').exitOverride();
registerEvalCommand(program, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), cwd: process.cwd() }, result);
try {
  await program.parseAsync(['node', 'codeidx', 'eval', ...process.argv.slice(2)]);
} catch (error) {
  if (!(error instanceof CommanderError)) process.stderr.write(`error: ${describeError(error)}\n`);
  result.code = error instanceof CommanderError ? error.exitCode : 1;
}
process.exitCode = result.code;
