import type { Processor, Stream } from '../dsl/index.ts';
import type { Auction, Bid } from './nexmark-event.ts';

/** An auction's or a bid's record, keyed by the auction id, as the winning-bid processor takes them. */
export type AuctionOrBid = Auction | Bid;

/**
 * What the processor emits per auction: `update` whenever the auction's best bid changes (with the one
 * it replaces), `closed` once when the watermark passes the auction's expiry (with its final best bid,
 * if any).
 */
export type WinningBidChange =
  | { kind: 'update'; auction: Auction; best: Bid; previous: Bid | undefined }
  | { kind: 'closed'; auction: Auction; best: Bid | undefined };

interface AuctionState {
  auction: Auction | undefined;
  /** Bids that came before their auction (the generator's "+10" lead), in arrival order. */
  pending: Bid[];
  best: Bid | undefined;
}

/** Whether `bid` beats `best`: higher price, then earlier dateTime; a tie stays with the earlier arrival. */
function beats(bid: Bid, best: Bid | undefined): boolean {
  return (
    best === undefined || bid.price > best.price || (bid.price === best.price && bid.dateTime < best.dateTime)
  );
}

function inWindow(bid: Bid, auction: Auction): boolean {
  return bid.dateTime >= auction.dateTime && bid.dateTime <= auction.expires;
}

/**
 * The best bid of each auction among its bids with dateTime in [auction.dateTime, auction.expires]
 * (both ends inclusive), whichever of auction and bid is processed first: bids for an auction not seen
 * yet wait in the store. An event-time timer at `expires` closes the auction (emits `closed`) and drops
 * its state; a bid processed after that is ignored (it could only be late data, behind the watermark).
 * Shared by q4, q6 and q9.
 */
export function winningBidProcessor(store: string): Processor<number, AuctionOrBid, WinningBidChange> {
  return {
    process(value, ctx) {
      const state = ctx.state<AuctionState | 'closed'>(store);
      const current = state.get();
      if (current === 'closed') return undefined;
      if (value.type === 'auction') {
        if (current?.auction !== undefined) return undefined; // ids are unique; a replay of the same auction
        let best: Bid | undefined;
        const out: WinningBidChange[] = [];
        for (const bid of current?.pending ?? [])
          if (inWindow(bid, value) && beats(bid, best)) {
            out.push({ kind: 'update', auction: value, best: bid, previous: best });
            best = bid;
          }
        state.set({ auction: value, pending: [], best });
        ctx.timers.eventTime(value.expires);
        return out;
      }
      if (current?.auction === undefined) {
        state.set({ auction: undefined, pending: [...(current?.pending ?? []), value], best: undefined });
        return undefined;
      }
      if (!inWindow(value, current.auction) || !beats(value, current.best)) return undefined;
      state.set({ auction: current.auction, pending: [], best: value });
      return [{ kind: 'update', auction: current.auction, best: value, previous: current.best }];
    },
    onTimer(_at, ctx) {
      const state = ctx.state<AuctionState | 'closed'>(store);
      const current = state.get();
      if (current === undefined || current === 'closed' || current.auction === undefined) return undefined;
      // Remember the id as closed (a small marker) so that late bids cannot reopen it.
      state.set('closed');
      return [{ kind: 'closed', auction: current.auction, best: current.best }];
    },
  };
}

/**
 * Auctions and bids merged and keyed by auction id, through the winning-bid processor `name` (its store
 * `<name>-auctions`, kept decoded: the processor replaces its values, never mutates them).
 */
export function winningBids(
  name: string,
  auctions: Stream<Auction>,
  bids: Stream<Bid>,
): Stream<WinningBidChange, number> {
  const store = `${name}-auctions`;
  return auctions
    .map((a): AuctionOrBid => a)
    .merge(bids.map((b): AuctionOrBid => b))
    .keyBy((e) => (e.type === 'auction' ? e.id : e.auction))
    .process(name, winningBidProcessor(store), { stores: [{ name: store, keepDecoded: true }] });
}
