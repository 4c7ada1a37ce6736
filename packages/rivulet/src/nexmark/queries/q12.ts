import type { NexmarkQuery } from '../nexmark-query.ts';

const SIZE_MS = 10_000;

/** A bidder's open processing-time window. */
interface OpenWindow {
  start: number;
  count: number;
}

/**
 * Processing-time windows: bids per bidder per tumbling 10 s of processing time (the engine's clock),
 * emitted when the clock passes the window's end (a processing-time timer per bidder and window; a bid
 * in a later window emits the earlier one first if its timer has not run yet).
 */
export const q12: NexmarkQuery = {
  name: 'q12',
  output: 'append',
  build: ({ bids }) =>
    bids
      // Only the bidder crosses the repartition.
      .map((b) => b.bidder)
      .keyBy((bidder) => bidder)
      .process(
        'q12-windows',
        {
          process(_bidder, ctx) {
            const start = ctx.now - (ctx.now % SIZE_MS);
            const state = ctx.state<OpenWindow>('q12-counts');
            const open = state.get();
            if (open !== undefined && open.start === start) {
              state.set({ start, count: open.count + 1 });
              return undefined;
            }
            state.set({ start, count: 1 });
            ctx.timers.processingTime(start + SIZE_MS);
            if (open === undefined) return undefined;
            ctx.timers.cancel(open.start + SIZE_MS);
            return [
              {
                bidder: ctx.key,
                bid_count: open.count,
                window_start: open.start,
                window_end: open.start + SIZE_MS,
              },
            ];
          },
          onTimer(end, ctx) {
            const state = ctx.state<OpenWindow>('q12-counts');
            const open = state.get();
            if (open === undefined || open.start + SIZE_MS !== end) return undefined;
            state.clear();
            return [{ bidder: ctx.key, bid_count: open.count, window_start: open.start, window_end: end }];
          },
        },
        { stores: [{ name: 'q12-counts', keepDecoded: true }] },
      ),
};
