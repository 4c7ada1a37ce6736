// Run: cd packages/files && npx tsx --conditions=rivulet-source bench/files-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { connectorThroughput } from './files-throughput.ts';

const records = Number(process.argv[2] ?? 200_000);
console.log(
  `node ${process.version}, ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await connectorThroughput({ records }); // warm-up (the JIT needs a few hundred thousand records)
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case}: connector ${Math.round(row.connectorPerSec)} records/s, bare ${Math.round(row.barePerSec)} records/s, ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
