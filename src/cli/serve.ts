/**
 * @module cli/serve — `codeidx serve`: the search API, the web page and the GitHub App's webhook
 * endpoint in one process, configured by environment variables (validated at start; every missing
 * or bad variable is named). The App shares the API's `SearchService` and store.
 *
 * Environment: the API's (CODEIDX_STORE, PORT, HOST, CODEIDX_API_TOKENS…, see search-api/config.ts)
 * plus, to enable the webhook endpoint, Probot's APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH and
 * WEBHOOK_SECRET (WEBHOOK_PATH, default /api/github/webhooks).
 */
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createProbot } from 'probot';
import { createWebhookMiddleware, DEFAULT_WEBHOOK_PATH } from '../app/create-webhook-middleware.js';
import { ConfigError } from '../core/errors.js';
import { createServerFromEnv } from '../search-api/config.js';
import type { Fetchable, RunningServer } from '../search-api/server.js';

/** A started `codeidx serve`. */
export interface ServeHandle {
  readonly url: string;
  /** Whether the webhook endpoint is enabled, and its path. */
  readonly webhookPath: string | null;
  /** Stops gracefully (requests in flight finish), then closes the store and the model. */
  close(): Promise<void>;
}

/** Which of the App's variables are set: all three enable the webhook; some but not all is an error. */
function webhookSettings(env: Readonly<Record<string, string | undefined>>): { path: string } | null {
  const present = {
    APP_ID: Boolean(env.APP_ID),
    'PRIVATE_KEY or PRIVATE_KEY_PATH': Boolean(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH),
    WEBHOOK_SECRET: Boolean(env.WEBHOOK_SECRET),
  };
  const set = Object.entries(present).filter(([, v]) => v);
  if (set.length === 0) return null;
  if (set.length < 3) {
    const missing = Object.entries(present)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    throw new ConfigError(`the GitHub App's webhook needs ${missing.join(' and ')} too`, {
      hint: 'set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET from the App settings, or none of them to serve the API only',
    });
  }
  return { path: env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH };
}

/**
 * Starts the combined server from `env`.
 * @throws ConfigError for a bad or incomplete environment (nothing is started).
 */
export async function startServe(env: Readonly<Record<string, string | undefined>>): Promise<ServeHandle> {
  const webhook = webhookSettings(env);
  const api = await createServerFromEnv(env);
  let running: RunningServer;
  try {
    let handler: Fetchable | undefined;
    if (webhook) {
      const probot = createProbot({ env: env });
      const middleware = await createWebhookMiddleware(probot, { backend: () => ({ service: api.search, store: api.store }) }, webhook.path);
      handler = {
        async fetch(request, bindings) {
          if (new URL(request.url).pathname !== webhook.path) return api.app.fetch(request, bindings);
          // Probot verifies X-Hub-Signature-256 over the raw body and answers on the Node response itself.
          await middleware(bindings.incoming, bindings.outgoing, () => {
            bindings.outgoing.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
          });
          return RESPONSE_ALREADY_SENT;
        },
      };
      api.logger.info('GitHub App webhook endpoint enabled', { path: webhook.path });
    } else {
      api.logger.info('GitHub App webhook endpoint off (set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET to enable it)');
    }
    running = await api.listen(handler);
  } catch (error) {
    await api.close();
    throw error;
  }
  return { url: running.url, webhookPath: webhook?.path ?? null, close: () => api.close() };
}
