/**
 * @module app/create-webhook-middleware — mounts the `/search` App on a Node HTTP server next to other
 * routes (the search API): Probot's `createNodeMiddleware` verifies the `X-Hub-Signature-256` of every
 * delivery (HMAC-SHA256 of the raw body with the webhook secret) before any handler runs, and answers
 * 2xx/4xx/5xx itself; other paths fall through to `next`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createNodeMiddleware, type Probot } from 'probot';
import { createSearchApp, type SearchAppDeps } from './create-search-app.js';

/** Default path of the webhook endpoint (Probot's). */
export const DEFAULT_WEBHOOK_PATH = '/api/github/webhooks';

/** A Node request handler; returns true when it answered the request. */
export type WebhookMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: Error) => void,
) => boolean | void | Promise<boolean | void>;

/**
 * Loads the App into `probot` and returns the Node middleware serving `path` (POST only; default
 * `probot.webhookPath`, i.e. `WEBHOOK_PATH` or `DEFAULT_WEBHOOK_PATH`). Build `probot` with
 * `createProbot({ env })` (reads APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, WEBHOOK_PATH) or `new Probot({...})`.
 * Responses: 200 once handled (202 after 9 s, still processing), 400 for a bad signature or body,
 * 500 when the App throws. Other paths call `next`.
 */
export async function createWebhookMiddleware(
  probot: Probot,
  deps: SearchAppDeps,
  path?: string,
): Promise<WebhookMiddleware> {
  return createNodeMiddleware(createSearchApp(deps), { probot, webhooksPath: path ?? probot.webhookPath });
}
