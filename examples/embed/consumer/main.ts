// The ES module entry: `node dist/main.js MODEL_DIR USER ITEM`.
import { recommendFrom } from './recommend.js';

const [modelDir = 'cf-model', user = '1', item = '10'] = process.argv.slice(2);
const report = await recommendFrom(modelDir, user, item);
console.log(`esm: ${JSON.stringify(report)}`);
