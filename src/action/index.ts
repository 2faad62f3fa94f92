/**
 * @module action/index — entry point of the GitHub Action (action.yml runs the built
 * `dist/action/index.js`). All logic is in `main.ts`, so tests can call `run()` directly.
 */
import { run } from './main.js';

await run();
