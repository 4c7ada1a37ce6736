// Run: cd packages/postgres && npx tsx --conditions=rivulet-source bench/postgres-throughput.run.ts [records]
import { loadavg } from 'node:os';
import { connectorThroughput } from './postgres-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
console.log(
  `records=${records} node=${process.version} load=${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case}: connector ${Math.round(row.connectorPerSec)}/s, bare ${Math.round(row.barePerSec)}/s, ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
console.log(
  `load after=${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
