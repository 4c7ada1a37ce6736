export { EventRandom } from './event-random.ts';
export { MergedNexmarkEvents, nexmarkSplits } from './merged-nexmark-events.ts';
export { nexmarkBinary } from './nexmark-binary-format.ts';
export { nexmarkBinarySerde } from './nexmark-binary-serde.ts';
export {
  DEFAULT_BASE_TIME,
  defaultNexmarkConfig,
  type NexmarkConfig,
  nexmarkConfig,
} from './nexmark-config.ts';
export {
  type Auction,
  type Bid,
  isAuction,
  isBid,
  isPerson,
  type NexmarkEvent,
  type Person,
} from './nexmark-event.ts';
export { NexmarkGenerator, splitEvents } from './nexmark-generator.ts';
export { nexmarkQueries } from './nexmark-queries.ts';
export {
  NEXMARK_WATERMARK_DELAY_MS,
  type NexmarkContext,
  type NexmarkQuery,
  type NexmarkResult,
  nexmarkContext,
  UNBOUNDED_JOIN,
} from './nexmark-query.ts';
export { nexmarkSource } from './nexmark-source.ts';
