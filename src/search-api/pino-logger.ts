/**
 * @module search-api/pino-logger — the server's `Logger`: pino, one JSON line per event on stdout
 * (what log collectors expect from a container).
 */
import { pino } from 'pino';
import { loggerFromPino } from '../adapters/pino/pino-logger.js';
import type { Logger } from '../core/ports.js';

/** Levels accepted by LOG_LEVEL. */
export type PinoLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export { loggerFromPino };

/** A pino logger named "codeidx-api" at `level`, writing to stdout, adapted to `Logger`. */
export function createPinoLogger(level: PinoLevel = 'info'): Logger {
  return loggerFromPino(pino({ name: 'codeidx-api', level }));
}
