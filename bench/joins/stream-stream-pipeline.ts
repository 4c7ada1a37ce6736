import {
  boundedOutOfOrder,
  json,
  type Pipeline,
  pipeline,
  text,
  topic,
} from '../../packages/rivulet/src/index.ts';
import { type AdEvent, BOUND_MS, CLICKS_TOPIC, IMPRESSIONS_TOPIC, WITHIN_MS } from './ad-event-fixtures.ts';

/** The output topic of the stream-stream cases (engine and floor). */
export const MATCHES_TOPIC = 'ad-matches';
/** The join's name, which is also its store's. */
export const JOIN_STORE = 'imp-clicks';

/** One join result: an impression and a click of the same ad within 5 minutes (about 55 B of JSON). */
export interface AdMatch {
  ad: string;
  /** The impression's id. */
  imp: number;
  /** The click's id. */
  click: number;
  /** Click time minus impression time, ms (-WITHIN_MS..WITHIN_MS). */
  dt: number;
}

/** The joiner, shared by the engine pipeline and the floor. */
export const matchAd = (impression: AdEvent, click: AdEvent): AdMatch => ({
  ad: impression.ad,
  imp: impression.id,
  click: click.id,
  dt: click.ts - impression.ts,
});

/**
 * The checksum term of one pair (impression id, click id): the cross-check adds it up over every pair, so
 * a missing, extra or duplicated pair, or one joined with the wrong partner, changes the sum (almost
 * surely). Below 2^20 per pair: sums of 10^9 pairs stay exact.
 */
export const pairWeight = (imp: number, click: number): number => (imp * 7919 + click * 104_729) % 1_000_003;

/**
 * `from(impressions) -> eventTime(ts, 5 s) -> groupByKey()` joined with the same of `clicks` within 5
 * minutes (inner, the store 'imp-clicks') `-> to(ad-matches)`. Both topics are partitioned by ad, so no
 * repartition. Late records would go to the join's `late` output, which nothing reads (they are counted).
 */
export function streamStreamPipeline(): Pipeline {
  const p = pipeline('bench-stream-stream');
  const clicks = p
    .from('clicks', topic(CLICKS_TOPIC, json<AdEvent>(), { key: text() }))
    .eventTime((c) => c.ts, boundedOutOfOrder(BOUND_MS))
    .groupByKey();
  p.from('impressions', topic(IMPRESSIONS_TOPIC, json<AdEvent>(), { key: text() }))
    .eventTime((i) => i.ts, boundedOutOfOrder(BOUND_MS))
    .groupByKey()
    .join(JOIN_STORE, clicks, WITHIN_MS, matchAd)
    .to('matches', topic(MATCHES_TOPIC, json<AdMatch>()));
  return p;
}
