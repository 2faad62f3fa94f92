#!/usr/bin/env node
/**
 * @module cli/index — the `codeidx` binary: runs `main` and exits with its code.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv);
