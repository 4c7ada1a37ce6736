import {
  boundedOutOfOrder,
  hopping,
  json,
  type Pipeline,
  pipeline,
  session,
  topic,
  tumbling,
} from '../../packages/rivulet/src/index.ts';
import { BOUND_MS, type Click } from './click-fixtures.ts';

/** The three window types the suite measures, each a count per user. */
export type WindowKind = 'tumbling' | 'hopping' | 'session';

export const WINDOW_KINDS: readonly WindowKind[] = ['tumbling', 'hopping', 'session'];

/** Window shapes in ms, shared by the engine pipeline, the floor and the RxJS peer. */
export const TUMBLING_SIZE_MS = 60_000;
export const HOPPING_SIZE_MS = 3_600_000;
export const HOPPING_ADVANCE_MS = 60_000;
export const SESSION_GAP_MS = 300_000;

/** How many windows each record is counted in (the sum of all window counts is records times this). */
export function windowsPerRecord(kind: WindowKind): number {
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
  }
}

/**
 * `from -> eventTime(ts, boundedOutOfOrder(5 s)) -> keyBy(user) -> window(kind) -> count -> to(out)`,
 * emitting each window's `{ key, window: { start, end }, value }` once, when it closes.
 */
export function windowPipeline(kind: WindowKind, source: string, out: string): Pipeline {
  const p = pipeline(`bench-${kind}`);
  p.from('clicks', topic(source, json<Click>()))
    .eventTime((c) => c.ts, boundedOutOfOrder(BOUND_MS))
    .keyBy((c) => c.user)
    .window(windowSpec(kind))
    .count(`per-user-${kind}`)
    .to('windows-out', topic(out, json()));
  return p;
}

export const SOURCE_TOPIC = 'clicks';
export const OUT_TOPIC = 'window-out';
