// One timed `loadRatings` of a file in a fresh process, for the scale bench: prints
// {"seconds", "rows", "baselineRssMB", "maxRssMB"} as JSON. Usage: parse-once.ts FILE
import { loadRatings } from '@cf/data/node';

const file = process.argv[2];
if (!file) {
  console.error('usage: parse-once.ts ratings.csv');
  process.exit(2);
}
const baseline = process.resourceUsage().maxRSS / 1024;
const start = performance.now();
const { table } = await loadRatings(file);
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    seconds,
    rows: table.stats.count,
    users: table.stats.nUsers,
    items: table.stats.nItems,
    baselineRssMB: baseline,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
