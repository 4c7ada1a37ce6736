// Run: cd packages/parquet && npx tsx --conditions=rivulet-source bench/parquet-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { connectorThroughput } from './parquet-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
console.log(
  `node ${process.version}, ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await connectorThroughput({ records }); // warm-up
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case}: connector ${Math.round(row.connectorPerSec)} rows/s, bare ${Math.round(row.barePerSec)} rows/s, ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
