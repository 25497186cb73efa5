#!/usr/bin/env node
import { processIO } from './cli-io.js';
import { run } from './run.js';
import { handleStopSignals, STOP_SIGNALS } from './stop-signals.js';

// Ctrl-C or SIGTERM once: stop at the next safe point (nothing half-written). Again: exit now.
const controller = new AbortController();
const received = handleStopSignals(process, controller, (text) => void process.stderr.write(text));

const code = await run(process.argv.slice(2), processIO(controller.signal));
const signal = received();
process.exitCode = code === STOP_SIGNALS.SIGINT && signal ? STOP_SIGNALS[signal] : code;
