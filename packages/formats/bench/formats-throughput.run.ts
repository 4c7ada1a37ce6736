// Run: cd packages/formats && npx tsx --conditions=rivulet-source bench/formats-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { formatsThroughput } from './formats-throughput.ts';

const records = Number(process.argv[2] ?? 100_000);
console.log(
  `node ${process.version}, ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.table(await formatsThroughput({ records }));
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
