import { EngineError } from '../model/index.ts';

/**
 * The Nexmark generator's parameters (the reference implementation's NexmarkConfiguration, defaults
 * as there). Events are generated deterministically from `seed` and the event id: the same
 * configuration gives the same events, from any position.
 */
export interface NexmarkConfig {
  /** Seeds every random choice (with the event id). */
  readonly seed: number;
  /** Events to generate over all splits (0 = unbounded). */
  readonly events: number;
  /** Events per second of event time over all splits (`first-event.rate`). */
  readonly rate: number;
  /** Event time of event number 0, epoch ms. */
  readonly baseTime: number;
  /** Parallel generators (`numEventGenerators`): disjoint id spaces on one shared timeline. */
  readonly splits: number;
  readonly personProportion: number;
  readonly auctionProportion: number;
  readonly bidProportion: number;
  readonly avgPersonBytes: number;
  readonly avgAuctionBytes: number;
  readonly avgBidBytes: number;
  /** P(a bid goes to the hot auction) = 1 - 1/hotAuctionRatio. */
  readonly hotAuctionRatio: number;
  /** P(a bid comes from the hot bidder) = 1 - 1/hotBiddersRatio. */
  readonly hotBiddersRatio: number;
  /** P(an auction's seller is the hot seller) = 1 - 1/hotSellersRatio. */
  readonly hotSellersRatio: number;
  /** P(a bid's channel is one of the 4 hot channels) = 1 - 1/hotChannelsRatio. */
  readonly hotChannelsRatio: number;
  /** Auctions a random bid may go to (also sets the mean auction length). */
  readonly numInFlightAuctions: number;
  /** People a random bidder or seller is drawn from. */
  readonly numActivePeople: number;
}

/** 2025-01-01T00:00:00Z: the default base time, so that a seed alone fixes every event. */
export const DEFAULT_BASE_TIME = 1_735_689_600_000;

export const defaultNexmarkConfig: NexmarkConfig = Object.freeze({
  seed: 1,
  events: 0,
  rate: 10_000,
  baseTime: DEFAULT_BASE_TIME,
  splits: 1,
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  avgPersonBytes: 200,
  avgAuctionBytes: 500,
  avgBidBytes: 100,
  hotAuctionRatio: 2,
  hotBiddersRatio: 4,
  hotSellersRatio: 4,
  hotChannelsRatio: 2,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
});

/** The defaults overridden by `options`; INVALID_ARGUMENT for a value the generator cannot use. */
export function nexmarkConfig(options: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const config = { ...defaultNexmarkConfig, ...options };
  const positiveInts: Array<keyof NexmarkConfig> = [
    'splits',
    'personProportion',
    'auctionProportion',
    'bidProportion',
    'hotAuctionRatio',
    'hotBiddersRatio',
    'hotSellersRatio',
    'hotChannelsRatio',
    'numInFlightAuctions',
    'numActivePeople',
  ];
  for (const name of positiveInts)
    if (!Number.isSafeInteger(config[name]) || config[name] < 1)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `nexmark: ${name} must be a positive integer, got ${config[name]}`,
      );
  for (const name of ['events', 'avgPersonBytes', 'avgAuctionBytes', 'avgBidBytes', 'baseTime'] as const)
    if (!Number.isSafeInteger(config[name]) || config[name] < 0)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `nexmark: ${name} must be an integer >= 0, got ${config[name]}`,
      );
  if (!Number.isSafeInteger(config.seed))
    throw new EngineError('INVALID_ARGUMENT', `nexmark: seed must be an integer, got ${config.seed}`);
  if (!(config.rate > 0) || !Number.isFinite(config.rate))
    throw new EngineError('INVALID_ARGUMENT', `nexmark: rate must be > 0 events/s, got ${config.rate}`);
  return Object.freeze(config);
}
