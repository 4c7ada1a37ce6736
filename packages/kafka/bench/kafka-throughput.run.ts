// Run: cd packages/kafka && npx tsx --conditions=rivulet-source bench/kafka-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { connectorThroughput } from './kafka-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
console.log(
  `cores ${cpus().length}, node ${process.version}, load before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case}: connector ${row.connectorPerSec}/s, bare ${row.barePerSec}/s, ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
