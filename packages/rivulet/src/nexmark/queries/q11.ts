import { session } from '../../dsl/index.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

/** User sessions: bids per bidder per session (records less than 10 s apart), once the session closed. */
export const q11: NexmarkQuery = {
  name: 'q11',
  output: 'append',
  build: ({ bids }) =>
    bids
      .map((b) => b.bidder)
      .keyBy((bidder) => bidder)
      .window(session('10s'))
      .count('q11-sessions')
      .map((r) => ({ bidder: r.key, bid_count: r.value, starttime: r.window.start, endtime: r.window.end })),
};
