import {
  AdEventGenerator,
  type AdTopic,
  CLICKS_TOPIC,
  IMPRESSIONS_TOPIC,
  WITHIN_MS,
} from './ad-event-fixtures.ts';
import type { StreamStreamRequest } from './join-sample.ts';
import { pairWeight } from './stream-stream-pipeline.ts';

/** What an inner join of the filled impressions and clicks within WITHIN_MS must emit. */
export interface ExpectedPairs {
  pairs: number;
  /** The sum of pairWeight over those pairs. */
  checksum: number;
}

/** One topic's generated records as columns: record i's ad index and event time. */
function generate(topic: AdTopic, count: number, keys: number): { ad: Int32Array; ts: Float64Array } {
  const generator = new AdEventGenerator(topic, keys);
  const ad = new Int32Array(count);
  const ts = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const event = generator.next();
    ad[i] = event.ad;
    ts[i] = event.ts;
  }
  return { ad, ts };
}

/**
 * The pairs of an inner join of the request's input, computed from the generators alone (no log, no
 * watermark, no buffers; run in the suite's process, so its memory is in no case's peak RSS): the clicks
 * grouped by ad (a counting sort) and sorted by time within each ad, then for every impression a binary
 * search for its ad's first click at >= ts - within and a walk to the last at <= ts + within (both ends
 * inclusive). Flush records have keys of their own and join nothing.
 */
export function expectedPairs(request: StreamStreamRequest): ExpectedPairs {
  const { recordsPerTopic: n, keys } = request;
  const impressions = generate(IMPRESSIONS_TOPIC, n, keys);
  const clicks = generate(CLICKS_TOPIC, n, keys);
  const start = new Int32Array(keys + 1);
  for (let i = 0; i < n; i++) start[clicks.ad[i]! + 1]!++;
  for (let k = 0; k < keys; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, keys);
  const byAd = new Int32Array(n);
  for (let i = 0; i < n; i++) byAd[fill[clicks.ad[i]!]!++] = i;
  // Within an ad the clicks come in id order, nearly sorted by time (jitter): insertion sort.
  for (let k = 0; k < keys; k++) {
    for (let j = start[k]! + 1; j < start[k + 1]!; j++) {
      const c = byAd[j]!;
      const t = clicks.ts[c]!;
      let i = j - 1;
      while (i >= start[k]! && clicks.ts[byAd[i]!]! > t) {
        byAd[i + 1] = byAd[i]!;
        i--;
      }
      byAd[i + 1] = c;
    }
  }
  let pairs = 0;
  let checksum = 0;
  for (let imp = 0; imp < n; imp++) {
    const k = impressions.ad[imp]!;
    const t = impressions.ts[imp]!;
    let lo = start[k]!;
    let hi = start[k + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (clicks.ts[byAd[mid]!]! < t - WITHIN_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < start[k + 1]! && clicks.ts[byAd[j]!]! <= t + WITHIN_MS; j++) {
      pairs++;
      checksum += pairWeight(imp, byAd[j]!);
    }
  }
  return { pairs, checksum };
}
