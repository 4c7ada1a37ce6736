import type { MedianLookup } from '../log/log-bars.ts';
import { roundValue } from '../report-printer.ts';
import type { EngineName } from './nexmark-bench-config.ts';

const PEERS: readonly EngineName[] = ['hand-loop', 'rxjs', 'node-streams', 'duckdb'];

function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  const rounded = roundValue(value);
  return Math.abs(rounded) >= 1000 ? rounded.toLocaleString('en-US') : String(rounded);
}

function fixed2(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : value.toFixed(2);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '' : `${(a / b).toFixed(2)}x`;
}

/**
 * The summary for people: one row per (query, engine) that ran, with events/s, events/s/core, the CPU
 * cores used, latency, peak RSS, and for the engine rows the per-core ratio to every peer (and, for the
 * log source, to the in-process run).
 */
export function nexmarkTable(
  lookup: MedianLookup,
  queries: readonly string[],
  engines: readonly EngineName[],
  failed: ReadonlySet<string> = new Set(),
): string[] {
  const header = [
    'query',
    'engine',
    'events/s',
    'events/s/core',
    'cores',
    'p50 ms',
    'p99 ms',
    'peak RSS MB',
    'outputs',
    ...PEERS.filter((p) => engines.includes(p)).map((p) => `/core vs ${p}`),
    ...(engines.includes('rivulet-memory') && engines.includes('rivulet-log') ? ['/core vs memory'] : []),
  ];
  const rows: string[][] = [];
  for (const q of queries)
    for (const engine of engines) {
      const c = `${q}-${engine}`;
      const perCore = lookup(c, 'events/s/core');
      if (perCore === undefined) {
        if (failed.has(c)) rows.push([q, engine, 'failed', ...header.slice(3).map(() => '')]);
        continue;
      }
      const isEngine = engine.startsWith('rivulet-');
      rows.push([
        q,
        engine,
        num(lookup(c, 'events/s')),
        num(perCore),
        fixed2(lookup(c, 'cpu-cores')),
        num(lookup(c, 'p50-ms')),
        num(lookup(c, 'p99-ms')),
        num(lookup(c, 'peak-rss-MB')),
        num(lookup(c, 'outputs')),
        ...PEERS.filter((p) => engines.includes(p)).map((p) =>
          isEngine ? ratio(perCore, lookup(`${q}-${p}`, 'events/s/core')) : '',
        ),
        ...(engines.includes('rivulet-memory') && engines.includes('rivulet-log')
          ? [engine === 'rivulet-log' ? ratio(perCore, lookup(`${q}-rivulet-memory`, 'events/s/core')) : '']
          : []),
      ]);
    }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)];
}
