#!/usr/bin/env node
/** The `parajob` executable: run the command, then let the process end on its own with its exit code. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
