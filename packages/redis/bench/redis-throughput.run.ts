// Prints the Redis connector throughput against bare ioredis (shared Redis on 127.0.0.1:6379).
// Run: cd packages/redis && npx tsx --conditions=rivulet-source bench/redis-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { connectorThroughput } from './redis-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
console.log(
  `node ${process.version}, ${cpus().length} cores, load before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case.padEnd(24)} connector ${String(row.connectorPerSec).padStart(8)}/s  bare ${String(row.barePerSec).padStart(8)}/s  ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
