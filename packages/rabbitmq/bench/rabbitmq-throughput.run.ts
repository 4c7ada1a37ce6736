// Run: cd packages/rabbitmq && npx tsx --conditions=rivulet-source bench/rabbitmq-throughput.run.ts [records]
import { cpus, loadavg } from 'node:os';
import { connectorThroughput } from './rabbitmq-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
console.log(
  `node ${process.version}, ${cpus().length} cores, load before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const row of await connectorThroughput({ records })) {
  const ratio = row.connectorPerSec / row.barePerSec;
  console.log(
    `${row.case.padEnd(24)} connector ${String(row.connectorPerSec).padStart(8)}/s  bare ${String(row.barePerSec).padStart(8)}/s  ratio ${ratio.toFixed(2)} ${ratio >= 0.7 ? 'PASS' : 'MISS'}`,
  );
}
console.log(
  `load after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
