import type { NexmarkQuery } from '../nexmark-query.ts';

const SIZE_MS = 10_000;

/**
 * Processing-time windows: bids per bidder per tumbling 10 s of processing time (the engine's clock),
 * emitted when the clock passes the window's end (a processing-time timer per bidder and window).
 */
export const q12: NexmarkQuery = {
  name: 'q12',
  output: 'append',
  build: ({ bids }) =>
    bids
      .keyBy((b) => b.bidder)
      .process(
        'q12-windows',
        {
          process(_bid, ctx) {
            const start = ctx.now - (ctx.now % SIZE_MS);
            const state = ctx.state<Record<string, number>>('q12-counts');
            const counts = state.get() ?? {};
            const count = counts[start] ?? 0;
            if (count === 0) ctx.timers.processingTime(start + SIZE_MS);
            state.set({ ...counts, [start]: count + 1 });
            return undefined;
          },
          onTimer(end, ctx) {
            const state = ctx.state<Record<string, number>>('q12-counts');
            const counts = state.get() ?? {};
            const start = end - SIZE_MS;
            const count = counts[start];
            if (count === undefined) return undefined;
            const { [start]: _, ...rest } = counts;
            if (Object.keys(rest).length === 0) state.clear();
            else state.set(rest);
            return [{ bidder: ctx.key, bid_count: count, window_start: start, window_end: end }];
          },
        },
        { stores: [{ name: 'q12-counts' }] },
      ),
};
