import type { MedianLookup } from '../log/log-bars.ts';
import type { BarVerdict } from '../suite.ts';

const PER_CORE = 'events/s/core';
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The per-core targets of the in-process engine (generator in the task, medians). */
const TARGETS: ReadonlyArray<{ queries: readonly string[]; min: number }> = [
  { queries: ['q0', 'q1', 'q2'], min: 1_000_000 },
  { queries: ['q3', 'q5', 'q8', 'q12'], min: 450_000 },
  { queries: ['q4', 'q7', 'q9', 'q11'], min: 150_000 },
];

/**
 * The suite's bars on this run's medians, for the queries that ran: per-core throughput of
 * rivulet-memory against its targets, every query faster per core than its RxJS version, and the log
 * source at >= 50% of the in-process figure for q0-q2. A bar whose cases did not run is N/A.
 */
export function evaluateNexmarkBars(
  lookup: MedianLookup,
  queries: readonly string[],
  hasRxjs: (query: string) => boolean,
): BarVerdict[] {
  const bars: BarVerdict[] = [];
  const notMeasured = 'rivulet-memory not measured in this run';
  for (const { queries: group, min } of TARGETS)
    for (const q of group) {
      if (!queries.includes(q)) continue;
      const value = lookup(`${q}-rivulet-memory`, PER_CORE);
      bars.push({
        name: `${q} per core, in-process`,
        rule: `${q}-rivulet-memory >= ${fmt(min)} events/s/core (generator in-process, CPU measured)`,
        measured: value === undefined ? notMeasured : `${fmt(value)} events/s/core`,
        pass: value === undefined ? undefined : value >= min,
      });
    }
  const vsRxjs: string[] = [];
  const slower: string[] = [];
  let compared = 0;
  for (const q of queries) {
    if (!hasRxjs(q)) continue;
    const engine = lookup(`${q}-rivulet-memory`, PER_CORE);
    const rxjs = lookup(`${q}-rxjs`, PER_CORE);
    if (engine === undefined || rxjs === undefined) continue;
    compared++;
    const ratio = engine / rxjs;
    vsRxjs.push(`${q} ${ratio.toFixed(2)}x`);
    if (ratio <= 1) slower.push(q);
  }
  bars.push({
    name: 'faster than RxJS',
    rule: 'every query with an RxJS version: rivulet-memory events/s/core > rxjs events/s/core',
    measured:
      compared === 0
        ? 'rivulet-memory or rxjs not measured in this run'
        : `${vsRxjs.join(', ')}${slower.length > 0 ? `; slower: ${slower.join(', ')}` : ''}`,
    pass: compared === 0 ? undefined : slower.length === 0,
  });
  for (const q of ['q0', 'q1', 'q2']) {
    if (!queries.includes(q)) continue;
    const log = lookup(`${q}-rivulet-log`, PER_CORE);
    const memory = lookup(`${q}-rivulet-memory`, PER_CORE);
    bars.push({
      name: `${q} log source vs in-process`,
      rule: `${q}-rivulet-log >= 0.5 x ${q}-rivulet-memory (events/s/core; the log case generates, appends durably and reads back)`,
      measured:
        log === undefined || memory === undefined
          ? log === undefined
            ? 'rivulet-log not measured in this run'
            : notMeasured
          : `${fmt(log)} vs ${fmt(memory)} events/s/core: ${(log / memory).toFixed(2)}`,
      pass: log === undefined || memory === undefined ? undefined : log >= 0.5 * memory,
    });
  }
  return bars;
}
