export { run } from './run.js';
export { processIO, EXIT, UsageError } from './cli-io.js';
export type { CliIO, OutputStream } from './cli-io.js';
export { selectBackend, BACKEND_NAMES } from './backend.js';
export type { BackendName } from './backend.js';
