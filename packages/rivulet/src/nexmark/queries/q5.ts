import { hopping } from '../../dsl/index.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

interface WindowTop {
  max: number;
  auctions: number[];
}

/**
 * Hot items: bids per auction in hopping windows of 10 s every 2 s, then per window the auctions with
 * the most bids (all of them on a tie), once the window has closed.
 */
export const q5: NexmarkQuery = {
  name: 'q5',
  output: 'append',
  build: ({ bids }) =>
    bids
      // Only the auction id crosses the repartition (projection before the shuffle, as a SQL planner would).
      .map((b) => b.auction)
      .keyBy((auction) => auction)
      .window(hopping('10s', '2s'))
      .count('q5-counts')
      .keyBy((r) => r.window.start)
      .process(
        'q5-top',
        {
          process(r, ctx) {
            const state = ctx.state<WindowTop>('q5-window-top');
            const top = state.get();
            if (top === undefined) ctx.timers.eventTime(r.window.end);
            if (top === undefined || r.value > top.max) state.set({ max: r.value, auctions: [r.key] });
            else if (r.value === top.max) state.set({ max: top.max, auctions: [...top.auctions, r.key] });
            return undefined;
          },
          onTimer(end, ctx) {
            const state = ctx.state<WindowTop>('q5-window-top');
            const top = state.get();
            state.clear();
            if (top === undefined) return undefined;
            return top.auctions.map((auction) => ({
              auction,
              num: top.max,
              starttime: ctx.key,
              endtime: end,
            }));
          },
        },
        { stores: [{ name: 'q5-window-top', keepDecoded: true }] },
      ),
};
