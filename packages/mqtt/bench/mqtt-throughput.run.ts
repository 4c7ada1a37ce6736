/** Run: `cd packages/mqtt && npx tsx --conditions=rivulet-source bench/mqtt-throughput.run.ts [records]` */
import { connectorThroughput } from './mqtt-throughput.ts';

const records = Number(process.argv[2] ?? 20_000);
for (const row of await connectorThroughput({ records }))
  console.log(
    `${row.case.padEnd(24)} connector ${Math.round(row.connectorPerSec).toString().padStart(7)}/s  bare ${Math.round(row.barePerSec).toString().padStart(7)}/s  ratio ${(row.connectorPerSec / row.barePerSec).toFixed(2)}`,
  );
