import type { Bid } from './nexmark-event.ts';

/** A bid's columns as the reference's `bid` table has them (without the event type tag). */
export function bidRow(b: Bid) {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    dateTime: b.dateTime,
    extra: b.extra,
  };
}
