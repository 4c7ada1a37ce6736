import type { Key, Stream } from '../../dsl/index.ts';
import type { Bid } from '../nexmark-event.ts';

/** q15/q16's price ranks: 1 below $100, 2 below $10,000, 3 from $10,000 (prices are in cents). */
export function rankOf(price: number): 1 | 2 | 3 {
  return price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3;
}

/** Bids, distinct bidders and distinct auctions per group, in total and per price rank. */
export interface RankCounts {
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  total_bidders: number;
  rank1_bidders: number;
  rank2_bidders: number;
  rank3_bidders: number;
  total_auctions: number;
  rank1_auctions: number;
  rank2_auctions: number;
  rank3_auctions: number;
}

/**
 * One bid's contribution to its group's counts: the bid itself (`bid`, absent on auction records), and
 * whether its bidder or auction is new to the group (bit 0) or to the group's rank (bit 1).
 */
interface RankDelta<G> {
  group: G;
  rank: 1 | 2 | 3;
  bid: boolean;
  newBidder: number;
  newAuction: number;
  /** null when not asked for (state and shuffled records hold plain JSON: no undefined fields). */
  minute: string | null;
}

const emptyCounts = (): RankCounts => ({
  total_bids: 0,
  rank1_bids: 0,
  rank2_bids: 0,
  rank3_bids: 0,
  total_bidders: 0,
  rank1_bidders: 0,
  rank2_bidders: 0,
  rank3_bidders: 0,
  total_auctions: 0,
  rank1_auctions: 0,
  rank2_auctions: 0,
  rank3_auctions: 0,
});

/** Which of (the whole group, the rank) `seen` (bits 0 and 1 + rank) has not marked yet, as bits 0 and 1. */
function newBits(seen: number, rank: number): number {
  return (seen & 1 ? 0 : 1) | (seen & (1 << rank) ? 0 : 2);
}

/**
 * Exact per-group counts with distinct counts, as Flink's split-distinct aggregation does: a bid goes
 * once through a task keyed by (group, bidder) and once through one keyed by (group, auction), each
 * remembering which ranks it has seen that bidder/auction in, and the increments they find are summed
 * per group. The table (store `<name>-counts`) holds the counts and the latest `minute` seen per group
 * (its maximum, for q16). State: one small number per distinct (group, bidder) and (group, auction).
 */
export function rankCounts<G extends Key>(
  name: string,
  bids: Stream<Bid>,
  group: (bid: Bid) => G,
  minute?: (bid: Bid) => string,
) {
  // Only what the counts need crosses the repartitions.
  const slim = bids.map((b) => ({
    group: group(b),
    bidder: b.bidder,
    auction: b.auction,
    price: b.price,
    minute: minute === undefined ? null : minute(b),
  }));
  const byBidder = slim
    .keyBy((b) => [JSON.stringify(b.group), b.bidder] as const)
    .process(
      `${name}-bidders`,
      {
        process(b, ctx) {
          const state = ctx.state<number>(`${name}-bidders-seen`);
          const seen = state.get() ?? 0;
          const rank = rankOf(b.price);
          const bits = newBits(seen, rank);
          if (bits !== 0) state.set(seen | 1 | (1 << rank));
          const delta: RankDelta<G> = {
            group: b.group,
            rank,
            bid: true,
            newBidder: bits,
            newAuction: 0,
            minute: b.minute,
          };
          return [delta];
        },
      },
      { stores: [{ name: `${name}-bidders-seen`, keepDecoded: true }] },
    );
  const byAuction = slim
    .keyBy((b) => [JSON.stringify(b.group), b.auction] as const)
    .process(
      `${name}-auctions`,
      {
        process(b, ctx) {
          const state = ctx.state<number>(`${name}-auctions-seen`);
          const seen = state.get() ?? 0;
          const rank = rankOf(b.price);
          const bits = newBits(seen, rank);
          if (bits === 0) return undefined;
          state.set(seen | 1 | (1 << rank));
          const delta: RankDelta<G> = {
            group: b.group,
            rank,
            bid: false,
            newBidder: 0,
            newAuction: bits,
            minute: null,
          };
          return [delta];
        },
      },
      { stores: [{ name: `${name}-auctions-seen`, keepDecoded: true }] },
    );
  return byBidder
    .merge(byAuction)
    .keyBy((d) => d.group)
    .aggregate(
      `${name}-counts`,
      (): RankCounts & { minute: string | null } => ({ ...emptyCounts(), minute: null }),
      (c, d) => {
        const next = { ...c };
        const r = d.rank;
        if (d.bid) {
          next.total_bids++;
          if (r === 1) next.rank1_bids++;
          else if (r === 2) next.rank2_bids++;
          else next.rank3_bids++;
        }
        if (d.newBidder & 1) next.total_bidders++;
        if (d.newBidder & 2) {
          if (r === 1) next.rank1_bidders++;
          else if (r === 2) next.rank2_bidders++;
          else next.rank3_bidders++;
        }
        if (d.newAuction & 1) next.total_auctions++;
        if (d.newAuction & 2) {
          if (r === 1) next.rank1_auctions++;
          else if (r === 2) next.rank2_auctions++;
          else next.rank3_auctions++;
        }
        if (d.minute !== null && (next.minute === null || d.minute > next.minute)) next.minute = d.minute;
        return next;
      },
    );
}
