/** Run: `cd packages/http && npx tsx --conditions=rivulet-source bench/http-throughput.run.ts [records]` */
import { connectorThroughput } from './http-throughput.ts';

const records = Number(process.argv[2] ?? 50_000);
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case.padEnd(32)} connector ${Math.round(row.connectorPerSec).toString().padStart(7)}/s  bare ${Math.round(row.barePerSec).toString().padStart(7)}/s  ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
