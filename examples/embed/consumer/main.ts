// The entry: `node dist-*/main.js MODEL_DIR`. Prints `smoke: {json}` (one thread: train, save,
// load, predict, recommend) and then `threads: {json}` (2 training threads, 2 ranking threads).
import { smoke } from './smoke.js';
import { threads } from './threads.js';

smoke(process.argv[2] ?? 'cf-model')
  .then((report) => {
    console.log(`smoke: ${JSON.stringify(report)}`);
    return threads();
  })
  .then(
    (report) => console.log(`threads: ${JSON.stringify(report)}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
