import type { MedianLookup } from '../log/log-bars.ts';
import type { BarVerdict } from '../suite.ts';
import { WINDOW_KINDS } from './window-pipelines.ts';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The windows bars, evaluated on this run's medians. */
export function evaluateWindowBars(lookup: MedianLookup): BarVerdict[] {
  const bars: BarVerdict[] = [];
  const engine = lookup('engine-tumbling', 'records/s');
  const floor = lookup('floor-tumbling', 'records/s');
  const ratio = engine === undefined || floor === undefined ? undefined : engine / floor;
  bars.push({
    name: 'tumbling window count vs hand-written floor',
    rule: 'engine-tumbling >= 0.40 x floor-tumbling (records/s of input)',
    measured:
      ratio === undefined
        ? 'not measured in this run'
        : `${fmt(engine!)} vs ${fmt(floor!)} records/s: ratio ${ratio.toFixed(2)}`,
    pass: ratio === undefined ? undefined : ratio >= 0.4,
  });
  for (const kind of WINDOW_KINDS) {
    const e = lookup(`engine-${kind}`, 'records/s');
    const rx = lookup(`rxjs-${kind}`, 'records/s');
    bars.push({
      name: `${kind} window count vs RxJS`,
      rule: `engine-${kind} > rxjs-${kind} (records/s of input)`,
      measured:
        e === undefined || rx === undefined
          ? 'not measured in this run'
          : `${fmt(e)} vs ${fmt(rx)} records/s: ratio ${(e / rx).toFixed(2)}`,
      pass: e === undefined || rx === undefined ? undefined : e > rx,
    });
  }
  const rss1 = lookup('engine-sliding-rate-1x', 'peak-rss-MB');
  const rss10 = lookup('engine-sliding-rate-10x', 'peak-rss-MB');
  const rssRatio = rss1 === undefined || rss10 === undefined ? undefined : rss10 / rss1;
  bars.push({
    name: 'sliding windows at 1x and 10x the event rate',
    rule:
      'peak RSS of engine-sliding-rate-10x <= 1.5 x engine-sliding-rate-1x (same event-time span, 10x the ' +
      'records per window: the window state must not grow with them)',
    measured:
      rssRatio === undefined
        ? 'not measured in this run'
        : `${fmt(rss10!)} MB at 10x vs ${fmt(rss1!)} MB at 1x: ratio ${rssRatio.toFixed(2)}`,
    pass: rssRatio === undefined ? undefined : rssRatio <= 1.5,
  });
  return bars;
}
