import type { MedianLookup } from '../log/log-bars.ts';
import type { BarVerdict } from '../suite.ts';
import { JOIN_CASES } from './join-case-names.ts';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The stream-table bar: the engine's join at >= 40% of the same-run floor (records/s of orders). */
export const STREAM_TABLE_FLOOR_SHARE = 0.4;

/**
 * The stream-stream bar: the join state is bounded by the time window, not by the run, so the engine's
 * peak RSS at twice the run length (2x the records and the event-time span, same rate and ads) is at
 * most this much of its peak RSS at 1x.
 */
export const STREAM_STREAM_RSS_GROWTH = 1.25;

/** The joins bars, evaluated on this run's medians. */
export function evaluateJoinBars(lookup: MedianLookup): BarVerdict[] {
  const engine = lookup(JOIN_CASES.engineStreamTable, 'records/s');
  const floor = lookup(JOIN_CASES.floorStreamTable, 'records/s');
  const ratio = engine === undefined || floor === undefined ? undefined : engine / floor;
  return [
    {
      name: 'stream-table join vs hand-written floor',
      rule:
        `${JOIN_CASES.engineStreamTable} >= ${STREAM_TABLE_FLOOR_SHARE.toFixed(2)} x ` +
        `${JOIN_CASES.floorStreamTable} (records/s of orders, table load included)`,
      measured:
        ratio === undefined
          ? 'not measured in this run'
          : `${fmt(engine!)} vs ${fmt(floor!)} records/s: ratio ${ratio.toFixed(2)}`,
      pass: ratio === undefined ? undefined : ratio >= STREAM_TABLE_FLOOR_SHARE,
    },
    streamStreamRssBar(lookup),
  ];
}

function streamStreamRssBar(lookup: MedianLookup): BarVerdict {
  const rss1 = lookup(JOIN_CASES.engineStreamStream1x, 'run-rss-growth-MB');
  const rss2 = lookup(JOIN_CASES.engineStreamStream2x, 'run-rss-growth-MB');
  const growth = rss1 === undefined || rss2 === undefined ? undefined : rss2 / rss1;
  return {
    name: 'stream-stream join state bounded by the window (RSS flat when the run is 2x longer)',
    rule:
      `RSS growth during the timed run of ${JOIN_CASES.engineStreamStream2x} <= ${STREAM_STREAM_RSS_GROWTH.toFixed(2)} x ` +
      `${JOIN_CASES.engineStreamStream1x}'s (2x the records and event-time span, same rate and ads)`,
    measured:
      growth === undefined
        ? 'not measured in this run'
        : `${fmt(rss2!)} MB at 2x vs ${fmt(rss1!)} MB at 1x: ratio ${growth.toFixed(2)}`,
    pass: growth === undefined ? undefined : growth <= STREAM_STREAM_RSS_GROWTH,
  };
}
