import {
  boundedOutOfOrder,
  hopping,
  json,
  type Pipeline,
  pipeline,
  session,
  sliding,
  text,
  topic,
  tumbling,
} from '../../packages/rivulet/src/index.ts';
import { BOUND_MS, type Click } from './click-fixtures.ts';

/** The window types the suite measures, each a count per user. */
export type WindowKind = 'tumbling' | 'hopping' | 'session' | 'sliding';

export const WINDOW_KINDS: readonly WindowKind[] = ['tumbling', 'hopping', 'session', 'sliding'];

/** Window shapes in ms, shared by the engine pipeline, the floor and the RxJS peer. */
export const TUMBLING_SIZE_MS = 60_000;
export const HOPPING_SIZE_MS = 3_600_000;
export const HOPPING_ADVANCE_MS = 60_000;
export const SESSION_GAP_MS = 300_000;
/** Sliding: per record, its user's records of the last 30 minutes, at a resolution of 1 minute. */
export const SLIDING_SIZE_MS = 1_800_000;
export const SLIDING_RESOLUTION_MS = 60_000;

/**
 * How many windows each record is counted in (the sum of all window counts is records times this).
 * Sliding windows are per record and overlap by as many records as fall in 30 minutes: their counts add
 * up to no fixed multiple (the suite compares them across engine, floor and RxJS instead).
 */
export function windowsPerRecord(kind: Exclude<WindowKind, 'sliding'>): number {
  return kind === 'hopping' ? HOPPING_SIZE_MS / HOPPING_ADVANCE_MS : 1;
}

function windowSpec(kind: WindowKind): ReturnType<typeof tumbling> {
  switch (kind) {
    case 'tumbling':
      return tumbling(TUMBLING_SIZE_MS);
    case 'hopping':
      return hopping(HOPPING_SIZE_MS, HOPPING_ADVANCE_MS);
    case 'session':
      return session(SESSION_GAP_MS);
    case 'sliding':
      return sliding(SLIDING_SIZE_MS, { resolution: SLIDING_RESOLUTION_MS });
  }
}

/**
 * `from -> eventTime(ts, boundedOutOfOrder(5 s)) -> groupByKey() -> window(kind) -> count -> to(out)`,
 * emitting each window's `{ key, window: { start, end }, value }` once, when it closes (sliding: one
 * window per record); with `emit: 'updates'`, the window's new result after every record instead.
 */
export function windowPipeline(
  kind: WindowKind,
  source: string,
  out: string,
  emit: 'final' | 'updates' = 'final',
): Pipeline {
  const p = pipeline(`bench-${kind}`);
  p.from('clicks', topic(source, json<Click>(), { key: text() }))
    .eventTime((c) => c.ts, boundedOutOfOrder(BOUND_MS))
    .groupByKey()
    .window(windowSpec(kind), { emit })
    .count(`per-user-${kind}`)
    .to('windows-out', topic(out, json()));
  return p;
}

export const SOURCE_TOPIC = 'clicks';
export const OUT_TOPIC = 'window-out';
