import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../sample-stats.ts';
import type { BarVerdict, BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';

/** One direction of one connector: records/s through the connector and through its client used bare. */
interface Throughput {
  case: string;
  connectorPerSec: number;
  barePerSec: number;
}

/**
 * Each connector package's throughput module (`packages/<name>/bench/<name>-throughput.ts`, exporting
 * `connectorThroughput({ records })`), measured against the local servers. The bar: every connector case at
 * least 70% of its bare client in the same run.
 */
const PACKAGES = ['nats', 'redis', 'rabbitmq', 'mqtt', 'kafka', 'postgres', 'parquet', 'files', 'http'];
const BAR = 0.7;

async function measure(name: string, records: number): Promise<Throughput[] | undefined> {
  const file = join(import.meta.dirname, '..', '..', 'packages', name, 'bench', `${name}-throughput.ts`);
  if (!existsSync(file)) return undefined;
  const module = (await import(pathToFileURL(file).href)) as {
    connectorThroughput(options: { records: number }): Promise<Throughput[]>;
  };
  return module.connectorThroughput({ records });
}

export const connectorsSuite: Suite = {
  name: 'connectors',
  description: 'records/s in and out per connector against its client library used bare (local servers)',
  async run(options: SuiteOptions): Promise<SuiteReport> {
    const records = Math.round((options.quick ? 2_000 : 20_000) * options.scale);
    const samples = new Map<string, { connector: number[]; bare: number[] }>();
    const missing: string[] = [];
    for (let r = 0; r < options.repeat; r++) {
      for (const name of PACKAGES) {
        options.progress(`${name}: ${records} records (repeat ${r + 1}/${options.repeat})`);
        let results: Throughput[] | undefined;
        try {
          results = await measure(name, records);
        } catch (error) {
          options.progress(`${name}: failed: ${(error as Error).message}`);
          continue;
        }
        if (results === undefined) {
          if (r === 0) missing.push(name);
          continue;
        }
        for (const t of results) {
          const key = `${name}/${t.case}`;
          const s = samples.get(key) ?? { connector: [], bare: [] };
          s.connector.push(t.connectorPerSec);
          s.bare.push(t.barePerSec);
          samples.set(key, s);
        }
      }
    }
    const results: BenchResult[] = [];
    const bars: BarVerdict[] = [];
    for (const [key, s] of samples) {
      const value = median(s.connector);
      const baselineValue = median(s.bare);
      results.push({ suite: 'connectors', case: `${key}-bare`, metric: 'records/s', value: baselineValue });
      results.push({
        suite: 'connectors',
        case: key,
        metric: 'records/s',
        value,
        baseline: `${key}-bare`,
        baselineValue,
        ratio: value / baselineValue,
      });
      bars.push({
        name: `${key} >= ${BAR * 100}% of bare`,
        rule: `${key} records/s >= ${BAR} x ${key}-bare`,
        measured: `${Math.round(value)} vs ${Math.round(baselineValue)} records/s (${(value / baselineValue).toFixed(2)}x)`,
        pass: value >= BAR * baselineValue,
      });
    }
    return {
      results,
      bars,
      notes: [
        `${records} records of 1 KiB per case against the local servers; medians of ${options.repeat} repeat(s)`,
        ...(missing.length > 0 ? [`no throughput module (not measured): ${missing.join(', ')}`] : []),
      ],
    };
  },
};
