import type { Auction, Person } from '../nexmark-event.ts';
import { type NexmarkQuery, UNBOUNDED_JOIN } from '../nexmark-query.ts';

/**
 * Local item suggestion: auctions of category 10 joined with their seller, when the seller lives in
 * OR, ID or CA. A regular (unwindowed) join of two append-only streams: every matching pair once,
 * whichever side came first, so the result only grows.
 */
export const q3: NexmarkQuery = {
  name: 'q3',
  output: 'append',
  build: ({ auctions, persons }) => {
    const sellers = persons
      .filter((p) => p.state === 'OR' || p.state === 'ID' || p.state === 'CA')
      .keyBy((p) => p.id);
    return auctions
      .filter((a) => a.category === 10)
      .keyBy((a) => a.seller)
      .join('q3-join', sellers, UNBOUNDED_JOIN, (a: Auction, p: Person) => ({
        name: p.name,
        city: p.city,
        state: p.state,
        id: a.id,
      }));
  },
};
