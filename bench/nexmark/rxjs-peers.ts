/**
 * The RxJS peer: each query it can express as an RxJS 7 pipeline over the decoded events, pulled from
 * the generator by a synchronous Observable (no log, no JSON). Stateless queries use `filter`/`map`;
 * per-key aggregates use `groupBy` + `scan` per group; event-time windows (q5, q7, q8, q11) run the
 * floor's window state machine in a `scan` and emit the closed windows' rows with `mergeMap`, as the
 * windows suite's RxJS peer does (RxJS has event-time windows only through such state).
 *
 * Not expressed (no peer in the table): the regular joins q3, q20, q23 and the winning-bid queries q4,
 * q6, q9 (RxJS has no keyed, stateful join or timer operator: they would be the hand loop inside a
 * `scan`), and q12 (processing-time windows: `bufferTime`/`windowTime` are scheduler-driven and never
 * fire during a synchronous source).
 */
import { filter, from, groupBy, map, mergeMap, type Observable, scan } from 'rxjs';
import type { Bid, NexmarkEvent } from '../../packages/rivulet/src/nexmark/index.ts';
import { utcDay, utcMinute } from '../../packages/rivulet/src/nexmark/queries/utc-format.ts';
import { type EventSource, sideInputMap } from './nexmark-events.ts';
import {
  type AuctionDay,
  addToAuctionDay,
  auctionDayRow,
  bidTimeType,
  channelIdOf,
  countChar,
  HighestBid,
  HotItems,
  insertTop10,
  NewUsers,
  newAuctionDay,
  type QueryLogic,
  q18Row,
  RankCounter,
  top10Rows,
  UserSessions,
} from './query-floors.ts';
import type { Row, RowSink } from './row-sink.ts';

type RxjsQuery = (events: Observable<NexmarkEvent>, sink: RowSink) => void;

const isBid = (e: NexmarkEvent): e is Bid => e.type === 'bid';

/** A synchronous Observable over every event of `source`. */
function eventObservable(source: EventSource): Observable<NexmarkEvent> {
  return from({
    [Symbol.iterator]: () => ({
      next: (): IteratorResult<NexmarkEvent> => {
        const value = source.next();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
    }),
  });
}

const append = (sink: RowSink) => (row: Row) => sink.append(row);

/** A window state machine in a `scan`: rows it closes per event are collected, then flattened. */
function windowed(
  events: Observable<NexmarkEvent>,
  sink: RowSink,
  create: (sink: RowSink) => QueryLogic,
): void {
  interface State {
    logic: QueryLogic;
    rows: Row[];
  }
  const collector = { rows: [] as Row[] };
  const into: RowSink = {
    append: (row) => collector.rows.push(row),
    upsert: () => {},
  };
  const logic = create(into);
  events
    .pipe(
      scan(
        (state: State, e: NexmarkEvent) => {
          collector.rows = [];
          state.logic.onEvent(e);
          state.rows = collector.rows;
          return state;
        },
        { logic, rows: [] },
      ),
      filter((state) => state.rows.length > 0),
      mergeMap((state) => state.rows),
    )
    .subscribe({
      next: append(sink),
      complete: () => {
        // The end of the input closes the remaining windows.
        collector.rows = [];
        logic.finish();
        for (const row of collector.rows) sink.append(row);
      },
    });
}

/** `groupBy(key)` then a `scan` per group, each update written under the group's key. */
function grouped<S>(
  events: Observable<NexmarkEvent>,
  sink: RowSink,
  key: (b: Bid) => string | number,
  seed: () => S,
  step: (state: S, b: Bid) => S,
  value: (state: S, b: Bid) => Row | Row[] | undefined,
): void {
  events
    .pipe(
      filter(isBid),
      groupBy(key),
      mergeMap((group) =>
        group.pipe(
          scan(
            (acc: { state: S; out: Row | Row[] | undefined }, b: Bid) => {
              acc.state = step(acc.state, b);
              acc.out = value(acc.state, b);
              return acc;
            },
            { state: seed(), out: undefined },
          ),
          filter((acc) => acc.out !== undefined),
          map((acc) => ({ key: group.key, value: acc.out! })),
        ),
      ),
    )
    .subscribe(({ key: k, value: v }) => sink.upsert(k, v));
}

const dayKey = (b: Bid): string => utcDay(b.dateTime);

export const RXJS_QUERIES: ReadonlyMap<string, RxjsQuery> = new Map<string, RxjsQuery>([
  [
    'q0',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          map((b) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            dateTime: b.dateTime,
            extra: b.extra,
          })),
        )
        .subscribe(append(sink)),
  ],
  [
    'q1',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          map((b) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: 0.908 * b.price,
            dateTime: b.dateTime,
            extra: b.extra,
          })),
        )
        .subscribe(append(sink)),
  ],
  [
    'q2',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          filter((b) => b.auction % 123 === 0),
          map((b) => ({ auction: b.auction, price: b.price })),
        )
        .subscribe(append(sink)),
  ],
  ['q5', (events, sink) => windowed(events, sink, (s) => new HotItems(s))],
  ['q7', (events, sink) => windowed(events, sink, (s) => new HighestBid(s))],
  ['q8', (events, sink) => windowed(events, sink, (s) => new NewUsers(s))],
  [
    'q10',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          map((b) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            dateTime: b.dateTime,
            extra: b.extra,
            dt: utcDay(b.dateTime),
            hm: utcMinute(b.dateTime),
          })),
        )
        .subscribe(append(sink)),
  ],
  ['q11', (events, sink) => windowed(events, sink, (s) => new UserSessions(s))],
  [
    'q13',
    (events, sink) => {
      const side = sideInputMap();
      events
        .pipe(
          filter(isBid),
          map((b) => ({ b, value: side.get(String(b.auction % 10_000)) })),
          filter((j) => j.value !== undefined),
          map(({ b, value }) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            dateTime: b.dateTime,
            value,
          })),
        )
        .subscribe(append(sink));
    },
  ],
  [
    'q14',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          filter((b) => 0.908 * b.price > 1_000_000 && 0.908 * b.price < 50_000_000),
          map((b) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: 0.908 * b.price,
            bidTimeType: bidTimeType(b.dateTime),
            dateTime: b.dateTime,
            extra: b.extra,
            c_counts: countChar(b.extra, 99),
          })),
        )
        .subscribe(append(sink)),
  ],
  [
    'q15',
    (events, sink) =>
      grouped(
        events,
        sink,
        dayKey,
        () => new RankCounter(),
        (c, b) => {
          c.add(b);
          return c;
        },
        (c, b) => ({ day: dayKey(b), ...c.counts() }),
      ),
  ],
  [
    'q16',
    (events, sink) =>
      grouped(
        events,
        sink,
        (b) => `${b.channel}|${dayKey(b)}`,
        () => new RankCounter(),
        (c, b) => {
          c.add(b);
          const minute = utcMinute(b.dateTime);
          if (minute > c.minute) c.minute = minute;
          return c;
        },
        (c, b) => ({ channel: b.channel, day: dayKey(b), minute: c.minute, ...c.counts() }),
      ),
  ],
  [
    'q17',
    (events, sink) =>
      grouped<AuctionDay>(
        events,
        sink,
        (b) => `${b.auction}|${dayKey(b)}`,
        newAuctionDay,
        addToAuctionDay,
        (s, b) => auctionDayRow(b.auction, dayKey(b), s),
      ),
  ],
  [
    'q18',
    (events, sink) =>
      grouped<Bid | undefined>(
        events,
        sink,
        (b) => `${b.bidder}|${b.auction}`,
        () => undefined,
        (latest, b) => (latest === undefined || b.dateTime >= latest.dateTime ? b : latest),
        (latest) => q18Row(latest!),
      ),
  ],
  [
    'q19',
    (events, sink) => {
      let changed = false;
      grouped<Bid[]>(
        events,
        sink,
        (b) => b.auction,
        () => [],
        (top, b) => {
          changed = insertTop10(top, b);
          return top;
        },
        (top) => (changed ? top10Rows(top) : undefined),
      );
    },
  ],
  [
    'q21',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          map((b) => ({ b, channelId: channelIdOf(b) })),
          filter((j) => j.channelId !== undefined),
          map(({ b, channelId }) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            channel: b.channel,
            channel_id: channelId,
          })),
        )
        .subscribe(append(sink)),
  ],
  [
    'q22',
    (events, sink) =>
      events
        .pipe(
          filter(isBid),
          map((b) => {
            const parts = b.url.split('/');
            return {
              auction: b.auction,
              bidder: b.bidder,
              price: b.price,
              channel: b.channel,
              dir1: parts[3] ?? null,
              dir2: parts[4] ?? null,
              dir3: parts[5] ?? null,
            };
          }),
        )
        .subscribe(append(sink)),
  ],
]);

/** Why a query has no RxJS version (for the notes). */
export const RXJS_MISSING =
  'no RxJS version of q3, q20, q23 (regular joins), q4, q6, q9 (winning bids with event-time timers): ' +
  'RxJS has no keyed stateful join or timer operator, they would be the hand loop inside a scan; nor of ' +
  "q12 (processing-time windows: RxJS's bufferTime/windowTime are scheduler-driven and never fire during " +
  'a synchronous source)';

/** Runs `query`'s RxJS pipeline over every event of `source` (synchronously, to completion). */
export function runRxjs(query: string, source: EventSource, sink: RowSink): void {
  const q = RXJS_QUERIES.get(query);
  if (q === undefined) throw new Error(`no RxJS version of ${query}`);
  q(eventObservable(source), sink);
}
