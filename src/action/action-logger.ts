/**
 * @module action/action-logger — the core `Logger` over @actions/core: debug lines go to the
 * step debug log (shown with ACTIONS_STEP_DEBUG), info to the plain log, warnings and errors
 * become annotations. Fields are appended as `key=value`.
 */
import * as core from '@actions/core';
import type { Logger } from '../core/ports.js';

function format(message: string, fields?: Record<string, unknown>): string {
  if (!fields || Object.keys(fields).length === 0) return message;
  const parts = Object.entries(fields).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return `${message} (${parts.join(', ')})`;
}

/** A `Logger` writing through @actions/core. */
export function createActionLogger(): Logger {
  return {
    debug: (message, fields) => core.debug(format(message, fields)),
    info: (message, fields) => core.info(format(message, fields)),
    warn: (message, fields) => core.warning(format(message, fields)),
    error: (message, fields) => core.error(format(message, fields)),
  };
}
