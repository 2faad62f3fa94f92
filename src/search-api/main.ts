/**
 * @module search-api/main — runs the Search API from the environment (see config.ts):
 * `CODEIDX_STORE=.codeidx/index-….db CODEIDX_PUBLIC_REPOS='*\/*' npx tsx src/search-api/main.ts`.
 * SIGTERM or SIGINT stops it gracefully: requests in flight finish, then the process exits 0.
 */
import { describeError } from '../core/errors.js';
import { createServerFromEnv } from './config.js';

try {
  const server = await createServerFromEnv(process.env);
  await server.listen();
  const stop = (signal: NodeJS.Signals): void => {
    server.logger.info(`received ${signal}`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error('shutdown failed', { error: describeError(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  process.stderr.write(`codeidx-api: ${describeError(error)}\n`);
  process.exit(2);
}
