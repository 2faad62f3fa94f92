/**
 * @module search-api/pino-logger — the server's `Logger`: pino, one JSON line per event on stdout
 * (what log collectors expect from a container).
 */
import { pino, type Logger as Pino } from 'pino';
import type { Logger } from '../core/ports.js';

/** Levels accepted by LOG_LEVEL. */
export type PinoLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Adapts a pino logger to the core `Logger` port (fields first, as pino wants). */
export function loggerFromPino(log: Pino): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) log[level](fields, message);
      else log[level](message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A pino logger named "codeidx-api" at `level`, writing to stdout, adapted to `Logger`. */
export function createPinoLogger(level: PinoLevel = 'info'): Logger {
  return loggerFromPino(pino({ name: 'codeidx-api', level }));
}
