/**
 * Eval suites: JSONL files of queries with their relevant locations, one JSON object per line:
 * `{"query": "…", "relevant": [{"repo"?, "path", "startLine"?, "endLine"?, "symbol"?}], "id"?: "…"}`.
 * Blank lines and lines starting with `//` are skipped.
 *
 * @module eval/eval-suite
 */
import * as z from 'zod';
import { ConfigError } from '../core/errors.js';
import { queryProblem } from '../core/query-check.js';
import type { RelevantLocation } from '../core/retrieval-metrics.js';

/** One query of a suite. `line` is its 1-based line in the file (for messages). */
export interface EvalQuery {
  readonly line: number;
  readonly id: string;
  readonly query: string;
  readonly relevant: readonly RelevantLocation[];
}

const locationSchema = z
  .object({
    repo: z.string().min(1).optional(),
    path: z.string().min(1),
    startLine: z.number().int().positive().optional(),
    endLine: z.number().int().positive().optional(),
    symbol: z.string().min(1).optional(),
  })
  .strict()
  .refine((l) => l.endLine === undefined || (l.startLine !== undefined && l.endLine >= l.startLine), {
    message: 'endLine needs a startLine and must not be before it',
  });

const querySchema = z
  .object({
    id: z.string().min(1).optional(),
    query: z.string(),
    relevant: z.array(locationSchema).min(1, 'at least one relevant location is needed'),
    note: z.string().optional(),
  })
  .strict();

/**
 * Parses a suite. `source` names the file in messages.
 * @throws ConfigError naming the first bad line: not JSON, wrong shape, or a query that cannot be run
 *   (empty, over-long, punctuation only — see `queryProblem`); also when the file has no query.
 */
export function parseEvalSuite(text: string, source: string): EvalQuery[] {
  const out: EvalQuery[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('//')) continue;
    const where = `${source}:${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw new ConfigError(`${where}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, {
        cause,
        hint: 'each line must be one JSON object: {"query": "...", "relevant": [{"path": "...", "startLine": 1, "endLine": 9}]}',
      });
    }
    const parsed = querySchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; ');
      throw new ConfigError(`${where}: ${issues}`, {
        hint: 'fields: query (string), relevant (array of {repo?, path, startLine?, endLine?, symbol?}), id?, note?',
      });
    }
    const problem = queryProblem(parsed.data.query);
    if (problem !== null) throw new ConfigError(`${where}: ${problem}`, { hint: 'fix or remove this query' });
    out.push({
      line: i + 1,
      id: parsed.data.id ?? `line-${i + 1}`,
      query: parsed.data.query.trim(),
      relevant: parsed.data.relevant.map(
        (l): RelevantLocation => ({
          path: l.path,
          ...(l.repo !== undefined ? { repo: l.repo } : {}),
          ...(l.startLine !== undefined ? { startLine: l.startLine } : {}),
          ...(l.endLine !== undefined ? { endLine: l.endLine } : {}),
          ...(l.symbol !== undefined ? { symbol: l.symbol } : {}),
        }),
      ),
    });
  }
  if (out.length === 0) throw new ConfigError(`${source} has no queries`, { hint: 'add one JSON object per line' });
  return out;
}
