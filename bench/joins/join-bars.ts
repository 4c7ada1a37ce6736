import type { MedianLookup } from '../log/log-bars.ts';
import type { BarVerdict } from '../suite.ts';
import { JOIN_CASES } from './join-case-names.ts';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The stream-table bar: the engine's join at >= 40% of the same-run floor (records/s of orders). */
export const STREAM_TABLE_FLOOR_SHARE = 0.4;

/**
 * The joins bars, evaluated on this run's medians. The stream-stream bar (RSS flat when the run
 * is twice as long) comes with its case.
 */
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
  ];
}
