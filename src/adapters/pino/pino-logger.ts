/**
 * @module adapters/pino — the core `Logger` port on pino, the logger of the API server and of
 * Probot (`app.log`, `context.log`).
 */
import type { Logger } from '../../core/ports.js';

/** One pino log method: fields first, then the message (pino's own convention). */
interface PinoLogFn {
  (fields: object, message: string): void;
  (message: string): void;
}

/** Any pino-compatible logger: pino itself or Probot's `app.log`. */
export type PinoLike = Record<'debug' | 'info' | 'warn' | 'error', PinoLogFn>;

/** Adapts a pino logger to the core `Logger` port. */
export function loggerFromPino(log: PinoLike): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) log[level](fields, message);
      else log[level](message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
