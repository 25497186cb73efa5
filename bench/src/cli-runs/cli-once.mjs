// One whole `cf` command (the built CLI's `run`, in this process, as the `cf` binary runs it) with
// its resources: prints {"code", "wallSeconds", "cpuSeconds", "maxRssMB", "load": [before, after],
// "stdout"} as the last stdout line. CPU seconds are user + system of every thread of the process
// (the training workers' too); the peak RSS is the process's. Plain JavaScript so that node runs
// it without a TypeScript loader in the measured process.
// Usage: node cli-once.mjs ARG... (the cf arguments, e.g. train --data DIR --recipe fastai --json)
import { loadavg } from 'node:os';
import { run, processIO } from '@cf/cli';

const args = process.argv.slice(2);
let stdout = '';
const io = {
  ...processIO(),
  stdout: { write: (text) => ((stdout += text), true) },
};
const before = loadavg()[0];
const start = performance.now();
const code = await run(args, io);
const wallSeconds = (performance.now() - start) / 1000;
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    code,
    wallSeconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    maxRssMB: usage.maxRSS / 1024,
    load: [before, loadavg()[0]],
    stdout: stdout.trim(),
  }),
);
