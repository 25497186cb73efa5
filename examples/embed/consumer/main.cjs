// The CommonJS entry: require() the compiled ES module (and a package directly) on Node >= 20.19.
'use strict';
const { recommendFrom } = require(process.env.CF_EMBED_MODULE ?? './dist-node16/recommend.js');
const { MODEL_FORMAT } = require('@cf/model');
const [modelDir = 'cf-model', user = '1', item = '10'] = process.argv.slice(2);
recommendFrom(modelDir, user, item).then(
  (report) => console.log(`cjs: ${JSON.stringify({ ...report, format: MODEL_FORMAT })}`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
