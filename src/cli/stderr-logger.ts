/**
 * @module cli/stderr-logger — the CLI's `Logger`: one human-readable line per message on stderr
 * (stdout is kept for results, so `codeidx search --json | jq` works).
 */
import type { Logger } from '../core/ports.js';

/** Lowest level printed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger writing `warning: …` / `error: …` lines to a stream (stderr by default). */
export function createStderrLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[at] < ORDER[level]) return;
    const prefix = at === 'info' ? '' : `${at === 'warn' ? 'warning' : at}: `;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(`${prefix}${message}${extra}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
