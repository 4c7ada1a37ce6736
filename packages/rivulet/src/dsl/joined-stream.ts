// First: stream.ts imports keyed-stream.ts, whose imports define classes extending Stream; entered
// before keyed-stream.ts, stream.ts would have them evaluated before Stream exists.
import './keyed-stream.ts';
import type { Duration } from '../model/index.ts';
import type { DslNode } from './dsl-node.ts';
import { Stream } from './stream.ts';

export interface StreamJoinOptions {
  /**
   * How far behind the watermark (in event time) a record may still arrive and be joined (default 0);
   * records are kept, and unmatched results wait, that much longer.
   */
  allowedLateness?: Duration;
}

/** A record a stream-stream join found too late, with the side it came from. */
export type LateJoinInput<T, U> = { side: 'left'; value: T } | { side: 'right'; value: U };

/**
 * The results of a stream-stream join, keyed by K, as a stream; `late` is the stream of input records
 * that arrived after every record they could join had been dropped, tagged with their side (route it to
 * a topic or a dead-letter topic: records nobody reads from it are counted and dropped).
 */
export class JoinedStream<R, K, T, U> extends Stream<R, K> {
  readonly late: Stream<LateJoinInput<T, U>, K>;

  /** @internal */
  constructor(node: DslNode, late: DslNode) {
    super(node);
    this.late = new Stream<LateJoinInput<T, U>, K>(late);
  }
}
