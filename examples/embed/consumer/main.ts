// The entry: `node dist-*/main.js MODEL_DIR`. Prints one line, `smoke: {json}`.
import { smoke } from './smoke.js';

smoke(process.argv[2] ?? 'cf-model').then(
  (report) => console.log(`smoke: ${JSON.stringify(report)}`),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
