import {
  boundedOutOfOrder,
  type GlobalTable,
  type Pipeline,
  type SinkSpec,
  type Stream,
} from '../dsl/index.ts';
import {
  type Auction,
  type Bid,
  isAuction,
  isBid,
  isPerson,
  type NexmarkEvent,
  type Person,
} from './nexmark-event.ts';

/** Event-time disorder the queries allow (the reference DDL's watermark: dateTime - 4 s). */
export const NEXMARK_WATERMARK_DELAY_MS = 4000;

/**
 * The `within` that makes a stream-stream join a regular (unwindowed) join, as the reference's SQL
 * joins are: a century of event time, so records stay in the join's store for good (as in Flink
 * without a state TTL) and every matching pair is found, whichever side came first.
 */
export const UNBOUNDED_JOIN = 100 * 365 * 24 * 3600 * 1000;

/**
 * What a query is built from: the pipeline, the event stream with event time set, and its three kinds
 * split out. Each of these is one node of the pipeline, shared by every query built on the context.
 */
export interface NexmarkContext {
  readonly pipeline: Pipeline;
  readonly events: Stream<NexmarkEvent>;
  readonly persons: Stream<Person>;
  readonly auctions: Stream<Auction>;
  readonly bids: Stream<Bid>;
  /** q13's side input (key `String(i)` -> value i, i < 10,000); throws when the pipeline has none. */
  readonly sideInput: () => GlobalTable<string, number>;
}

/**
 * A Nexmark query in the DSL. `append`: every record the result stream carries is a result row.
 * `upsert`: the result is a table, its latest value per record key (a null value deletes the key);
 * a value may be one row or an array of rows (q19's top 10).
 */
export interface NexmarkQuery {
  readonly name: string;
  readonly output: 'append' | 'upsert';
  /** The query reads the side input (q13). */
  readonly sideInput?: true;
  /** Adds the query's operators (names prefixed with the query's name) and returns its result stream. */
  build(context: NexmarkContext): NexmarkResult;
}

/** A query's result stream, whatever its row type: all a runner does with it is write it to a sink. */
export interface NexmarkResult {
  to(name: string, sink: SinkSpec<never>): void;
}

/** The context over `events` (event time from `dateTime`, watermark 4 s behind the newest event). */
export function nexmarkContext(
  pipeline: Pipeline,
  events: Stream<NexmarkEvent>,
  sideInput?: () => GlobalTable<string, number>,
): NexmarkContext {
  const timed = events.eventTime((e) => e.dateTime, boundedOutOfOrder(NEXMARK_WATERMARK_DELAY_MS));
  return {
    pipeline,
    events: timed,
    persons: timed.filter(isPerson),
    auctions: timed.filter(isAuction),
    bids: timed.filter(isBid),
    sideInput:
      sideInput ??
      (() => {
        throw new TypeError('this pipeline has no Nexmark side input');
      }),
  };
}
