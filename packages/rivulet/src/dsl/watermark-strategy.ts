import { type Duration, parseDuration } from '../model/index.ts';

/** How event time turns into watermarks (see `Stream.eventTime`). */
export interface WatermarkStrategy {
  readonly kind: 'boundedOutOfOrder';
  readonly maxOutOfOrderMs: number;
  readonly idleTimeoutMs?: number;
}

/**
 * Records may arrive up to `maxOutOfOrder` behind the newest one seen in their partition: the watermark
 * is the largest event time seen minus this bound. `idleTimeout`: a partition with no records for that
 * long (processing time) stops holding back watermarks combined with other partitions'.
 */
export function boundedOutOfOrder(
  maxOutOfOrder: Duration,
  options: { idleTimeout?: Duration } = {},
): WatermarkStrategy {
  return Object.freeze({
    kind: 'boundedOutOfOrder',
    maxOutOfOrderMs: parseDuration(maxOutOfOrder),
    ...(options.idleTimeout === undefined ? {} : { idleTimeoutMs: parseDuration(options.idleTimeout) }),
  });
}
