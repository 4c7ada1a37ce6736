/**
 * The Node streams peer (q0-q2): an object-mode `stream.Readable` pulling events from the generator,
 * a `Transform` doing the query's filter/map, a `Writable` sink, joined by `stream.pipeline`. Default
 * high-water marks (16 objects per stream), one object per chunk.
 */
import { Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NexmarkEvent } from '../../packages/rivulet/src/nexmark/index.ts';
import type { EventSource } from './nexmark-events.ts';
import type { Row, RowSink } from './row-sink.ts';

type Step = (e: NexmarkEvent) => Row | undefined;

const STEPS: ReadonlyMap<string, Step> = new Map<string, Step>([
  [
    'q0',
    (e) =>
      e.type === 'bid'
        ? { auction: e.auction, bidder: e.bidder, price: e.price, dateTime: e.dateTime, extra: e.extra }
        : undefined,
  ],
  [
    'q1',
    (e) =>
      e.type === 'bid'
        ? {
            auction: e.auction,
            bidder: e.bidder,
            price: 0.908 * e.price,
            dateTime: e.dateTime,
            extra: e.extra,
          }
        : undefined,
  ],
  [
    'q2',
    (e) => (e.type === 'bid' && e.auction % 123 === 0 ? { auction: e.auction, price: e.price } : undefined),
  ],
]);

export const NODE_STREAMS_QUERIES: ReadonlySet<string> = new Set(STEPS.keys());

/** Runs `query` as Readable -> Transform -> Writable over every event of `source`. */
export async function runNodeStreams(query: string, source: EventSource, sink: RowSink): Promise<void> {
  const step = STEPS.get(query);
  if (step === undefined) throw new Error(`no Node streams version of ${query}`);
  const readable = new Readable({
    objectMode: true,
    read() {
      for (;;) {
        const e = source.next();
        if (e === undefined) {
          this.push(null);
          return;
        }
        if (!this.push(e)) return;
      }
    },
  });
  const transform = new Transform({
    objectMode: true,
    transform(e: NexmarkEvent, _encoding: BufferEncoding, callback: TransformCallback) {
      const row = step(e);
      callback(null, row);
    },
  });
  const writable = new Writable({
    objectMode: true,
    write(row: Row, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
      sink.append(row);
      callback();
    },
  });
  await pipeline(readable, transform, writable);
}
