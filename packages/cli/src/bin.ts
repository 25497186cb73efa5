#!/usr/bin/env node
import { processIO } from './cli-io.js';
import { run } from './run.js';

// Ctrl-C once: stop training after the current batch (nothing half-written). Twice: exit now.
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write(
    '\ninterrupt: stopping after the current batch (Ctrl-C again to quit now)\n',
  );
  controller.abort();
});

process.exitCode = await run(process.argv.slice(2), processIO(controller.signal));
