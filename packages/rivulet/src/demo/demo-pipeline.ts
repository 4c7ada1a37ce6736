import {
  boundedOutOfOrder,
  hopping,
  json,
  type Pipeline,
  pipeline,
  type StandardSchemaV1,
  topic,
} from '../index.ts';
import type { Visit } from './visit-generator.ts';

/** The topics of the demo: its input, and the pipeline's outputs. */
export const demoTopics = {
  visits: 'visits',
  visitors: 'visitors-last-30m',
  actions: 'actions-last-30m',
  alerts: 'visitor-alerts',
  late: 'late-visits',
} as const;

/** Checks a visit's shape: a record that is not one fails at the deserialize boundary. */
const visitSchema: StandardSchemaV1<unknown, Visit> = {
  '~standard': {
    version: 1,
    vendor: 'rivulet-demo',
    validate(value) {
      const v = value as Partial<Visit> | null;
      if (
        typeof v === 'object' &&
        v !== null &&
        typeof v.visitorId === 'string' &&
        typeof v.page === 'string' &&
        Number.isSafeInteger(v.ts) &&
        (v.ts as number) >= 0
      )
        return { value: v as Visit };
      return { issues: [{ message: 'expected { visitorId: string, page: string, ts: integer >= 0 }' }] };
    },
  },
};

/**
 * S1 (SCENARIOS.md), the demo's pipeline: the same shape as examples/s1-visitors/pipeline.ts. Visits on
 * 'visits'; every minute of event time, the distinct visitors and the actions of the 30 minutes before it
 * (hopping 30 min / 1 min) go to 'visitors-last-30m' and 'actions-last-30m'; each crossing of
 * `threshold` by the visitor count (up, or back down) is one alert on 'visitor-alerts'. Visits may be a
 * minute out of order, windows take them until 2 minutes after they end, and later visits go to
 * 'late-visits'.
 */
export function demoPipeline(threshold: number): Pipeline {
  const s1 = pipeline('visitors');
  const perSite = s1
    .from('visits', topic(demoTopics.visits, json(visitSchema)))
    .eventTime((v) => v.ts, boundedOutOfOrder('1m', { idleTimeout: '30s' }))
    .keyBy(() => 'site')
    .window(hopping('30m', '1m'), { allowedLateness: '2m' });
  const visitors = perSite.countDistinct('distinct-visitors', (v) => v.visitorId);
  visitors.to('visitors-out', topic(demoTopics.visitors, json()));
  visitors.late.to('late-out', topic(demoTopics.late, json()));
  perSite.count('actions').to('actions-out', topic(demoTopics.actions, json()));
  visitors
    .keyBy((w) => w.key)
    .crosses('visitor-alert', threshold, (w) => w.value)
    .to('alerts-out', topic(demoTopics.alerts, json()));
  return s1;
}
