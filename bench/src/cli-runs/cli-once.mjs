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
// CF_BENCH_MEMORY_TRACE=MS: every MS milliseconds (when the event loop is free: training yields
// every 50 ms) one stderr line `memory {"t", "rss", "heapUsed", "external", "arrayBuffers"}` in
// MiB, to see which phase holds what (docs/scaling.md, Memory)
const traceMs = Number(process.env.CF_BENCH_MEMORY_TRACE ?? 0);
const t0 = performance.now();
const mib = (bytes) => Math.round(bytes / 1048576);
const trace =
  traceMs > 0
    ? setInterval(() => {
        const m = process.memoryUsage();
        process.stderr.write(
          `memory ${JSON.stringify({ t: Number(((performance.now() - t0) / 1000).toFixed(2)), rss: mib(m.rss), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) })}\n`,
        );
      }, traceMs)
    : undefined;
const before = loadavg()[0];
const start = performance.now();
const code = await run(args, io);
const wallSeconds = (performance.now() - start) / 1000;
if (trace) clearInterval(trace);
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
