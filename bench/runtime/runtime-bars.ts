import type { MedianLookup } from '../log/log-bars.ts';
import type { BarVerdict } from '../suite.ts';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The runtime bars, evaluated on this run's medians. */
export function evaluateRuntimeBars(
  lookup: MedianLookup,
  latencyCase: (guarantee: string) => string,
): BarVerdict[] {
  const bars: BarVerdict[] = [];
  const countP1 = lookup('engine-count-exactly-once', 'records/s');
  const countP2 = lookup('engine-count-exactly-once-p2', 'records/s');
  bars.push({
    name: 'keyed count throughput at parallelism 2',
    rule: 'exactly-once keyed count >= 1,000,000 records/s with parallelism 2',
    measured: countP2 === undefined ? 'not measured in this run' : `${fmt(countP2)} records/s`,
    pass: countP2 === undefined ? undefined : countP2 >= 1_000_000,
  });
  const scaling = countP1 === undefined || countP2 === undefined ? undefined : countP2 / countP1;
  bars.push({
    name: 'parallel scaling',
    rule: 'parallelism 2 >= 1.6 x parallelism 1 (keyed count, exactly-once)',
    measured:
      scaling === undefined
        ? 'not measured in this run'
        : `${fmt(countP2!)} vs ${fmt(countP1!)} records/s: ${scaling.toFixed(2)}x`,
    pass: scaling === undefined ? undefined : scaling >= 1.6,
  });
  for (const guarantee of ['exactly-once', 'at-least-once']) {
    const engine = lookup(`engine-stateless-${guarantee}`, 'records/s');
    const floor = lookup('floor-stateless', 'records/s');
    const ratio = engine === undefined || floor === undefined ? undefined : engine / floor;
    bars.push({
      name: `stateless pipeline vs hand-written floor, ${guarantee}`,
      rule: `engine-stateless-${guarantee} >= 0.25 x floor-stateless (records/s of input)`,
      measured:
        ratio === undefined
          ? 'not measured in this run'
          : `${fmt(engine!)} vs ${fmt(floor!)} records/s: ratio ${ratio.toFixed(2)}`,
      pass: ratio === undefined ? undefined : ratio >= 0.25,
    });
  }
  for (const [guarantee, limitMs] of [
    ['exactly-once', 150],
    ['at-least-once', 10],
  ] as const) {
    const caseName = latencyCase(guarantee);
    const p99 = lookup(caseName, 'p99-ms');
    const p50 = lookup(caseName, 'p50-ms');
    const rate = lookup(caseName, 'input-records/s');
    const sustained = lookup(`latency-${guarantee}-max`, 'sustained-records/s');
    bars.push({
      name: `end-to-end p99, ${guarantee}, half the maximum throughput`,
      rule: `${caseName} p99 <= ${limitMs} ms (stateless pipeline, commit interval 100 ms)`,
      measured:
        p99 === undefined
          ? 'not measured in this run'
          : `p99 ${p99.toFixed(1)} ms (p50 ${p50?.toFixed(1)} ms) at ${fmt(rate ?? Number.NaN)} input records/s ` +
            `(the setup sustains ${fmt(sustained ?? Number.NaN)})`,
      pass: p99 === undefined ? undefined : p99 <= limitMs,
    });
  }
  return bars;
}
