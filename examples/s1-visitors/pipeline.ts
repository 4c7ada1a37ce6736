/**
 * S1, visitors in the last 30 minutes with a threshold alert: visits `{ visitorId, page, ts }` arrive on
 * 'visits'. Every minute of event time, the number of distinct visitors and of actions in the 30 minutes
 * before it (hopping windows of 30 min every minute) go to 'visitors-last-30m' and 'actions-last-30m';
 * when the visitor count crosses the threshold (up, or back down) one alert goes to 'visitor-alerts'.
 * Visits may arrive up to a minute out of order; windows accept them up to 2 minutes after they end; any
 * later visit goes to 'late-visits'. Restarts neither repeat nor miss an alert (the crossing state and the
 * watermarks are in the checkpoint).
 *
 *   rivulet topics create visits --partitions 2
 *   S1_THRESHOLD=100000 rivulet run examples/s1-visitors/pipeline.ts
 *
 * Exact distinct counts keep every visitor id of a window; `countDistinct(..., { approximate: true })`
 * keeps 2 KiB per window instead (HyperLogLog, 2.3% standard error).
 */
import { boundedOutOfOrder, hopping, json, pipeline, topic } from 'rivulet';
import { z } from 'zod';

export const Visit = z.object({
  visitorId: z.string(),
  page: z.string(),
  ts: z.number().int().nonnegative(),
});

export function visitorsPipeline(threshold: number) {
  const s1 = pipeline('visitors');
  const perSite = s1
    .from('visits', topic('visits', json(Visit)))
    .eventTime((v) => v.ts, boundedOutOfOrder('1m', { idleTimeout: '30s' }))
    .keyBy(() => 'site')
    .window(hopping('30m', '1m'), { allowedLateness: '2m' });
  const visitors = perSite.countDistinct('distinct-visitors', (v) => v.visitorId);
  visitors.to('visitors-out', topic('visitors-last-30m', json()));
  visitors.late.to('late-out', topic('late-visits', json()));
  perSite.count('actions').to('actions-out', topic('actions-last-30m', json()));
  visitors
    .keyBy((w) => w.key)
    .crosses('visitor-alert', threshold, (w) => w.value)
    .to('alerts-out', topic('visitor-alerts', json()));
  return s1;
}

export default visitorsPipeline(Number(process.env.S1_THRESHOLD ?? 100_000));
