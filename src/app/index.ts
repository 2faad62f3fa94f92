/**
 * @module app/index — the Probot entry point: `probot run ./dist/app/index.js`, or loaded by a server
 * through `createWebhookMiddleware`. Configuration comes from the environment (see `read-app-env.ts`
 * and docs/app.md); tests and servers that already hold a store call `createSearchApp(deps)` instead.
 */
import type { Probot } from 'probot';
import { createSearchApp } from './create-search-app.js';
import { appDepsFromEnv } from './read-app-env.js';

/** The `/search` App configured from `process.env` (the store is opened on the first search). */
const app: (app: Probot) => void = createSearchApp(appDepsFromEnv(process.env));
export default app;
