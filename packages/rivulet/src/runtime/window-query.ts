import { EngineError, partitionForKey, type Serde } from '../model/index.ts';
import type { WindowAggregateNode } from '../plan/index.ts';
import type { Accumulator } from './operators/accumulator.ts';
import type { QueryableStore } from './queryable-store.ts';
import { usesPanes } from './task-graph.ts';
import { readTime } from './time-bytes.ts';

/** One window of a key: its bounds and the aggregate's value so far. */
export interface WindowEntry<V> {
  window: { start: number; end: number };
  value: V;
}

/**
 * Window fetch over a running pipeline's windowed aggregation (tumbling, hopping, session), as of its
 * last checkpoint: the windows of a key that were still open then, with the value their final result
 * would show if no more records came (the aggregate so far). Closed windows are not kept (their results
 * are in the output). Reads the partition the key's records are routed to, through the store's replica
 * (queryable-store.ts); a per-window or per-pane store is scanned whole to find the key's entries (its
 * keys lead with the window end), a session store is one lookup. Sliding and decaying windows are not
 * supported (UNSUPPORTED_OPERATOR).
 */
export class WindowQuery<K = unknown, V = unknown> {
  readonly name: string;

  constructor(
    private readonly store: QueryableStore<Uint8Array, unknown>,
    private readonly node: WindowAggregateNode,
    private readonly accumulator: Accumulator,
    /** How the aggregation's records encode their keys: which partition a key's windows are in. */
    private readonly keySerde: Serde<K>,
    /** The aggregation's watermark in a partition's task as of the last checkpoint. */
    private readonly watermark: (partition: number) => number | undefined,
  ) {
    this.name = store.name;
    const kind = node.window.kind;
    if (kind !== 'tumbling' && kind !== 'hopping' && kind !== 'session')
      throw new EngineError(
        'UNSUPPORTED_OPERATOR',
        `window fetch supports tumbling, hopping and session windows, not ${kind} ('${store.name}')`,
        { details: { store: store.name } },
      );
  }

  /** The key's open windows whose start is in [from, to], by start. */
  async fetch(key: K, options: { from?: number; to?: number } = {}): Promise<WindowEntry<V>[]> {
    const partition = partitionForKey(this.keySerde.encode(key), this.store.partitions);
    const json = JSON.stringify(key) ?? 'null';
    const windows = await this.#windows(partition, key, json);
    const from = options.from ?? Number.NEGATIVE_INFINITY;
    const to = options.to ?? Number.POSITIVE_INFINITY;
    return windows
      .filter((w) => w.window.start >= from && w.window.start <= to)
      .sort((a, b) => a.window.start - b.window.start);
  }

  async #windows(partition: number, key: K, json: string): Promise<WindowEntry<V>[]> {
    const w = this.node.window;
    const value = (acc: unknown) => this.accumulator.value(acc) as V;
    if (w.kind === 'session') {
      const state = (await this.store.getFrom(partition, Buffer.from(`K${json}`))) as
        | { s: Array<[number, number, unknown]> }
        | undefined;
      return (state?.s ?? []).map(([start, end, acc]) => ({ window: { start, end }, value: value(acc) }));
    }
    if (w.kind !== 'tumbling' && w.kind !== 'hopping') return [];
    // Per-window and per-pane entries: 8 bytes of end, then the key's JSON.
    const entries: Array<[end: number, acc: unknown]> = [];
    for (const entry of await this.store.scanPartition(partition)) {
      const bytes = Buffer.from(entry.key);
      if (bytes.length < 8 || bytes.toString('utf8', 8) !== json) continue;
      entries.push([readTime(bytes, 0), (entry.value as { a: unknown }).a]);
    }
    if (!usesPanes(this.node))
      return entries.map(([end, acc]) => ({ window: { start: end - w.sizeMs, end }, value: value(acc) }));
    // Panes: the windows (starts multiples of advance) holding them, not closed yet, merged pane by pane.
    const size = w.sizeMs;
    const advance = w.kind === 'hopping' ? w.advanceMs : size;
    const bound = (this.watermark(partition) ?? Number.NEGATIVE_INFINITY) - this.node.allowedLatenessMs;
    const panes = entries.sort((a, b) => a[0] - b[0]);
    const ends = new Set<number>();
    for (const [paneEnd] of panes)
      for (
        let start = Math.floor((paneEnd - 1) / advance) * advance;
        start > paneEnd - 1 - size;
        start -= advance
      )
        if (start + size > bound) ends.add(start + size);
    const out: WindowEntry<V>[] = [];
    for (const end of ends) {
      let acc: unknown;
      for (const [paneEnd, paneAcc] of panes)
        if (paneEnd > end - size && paneEnd <= end)
          acc = acc === undefined ? paneAcc : this.accumulator.merge(acc, paneAcc, key);
      if (acc !== undefined) out.push({ window: { start: end - size, end }, value: value(acc) });
    }
    return out;
  }
}
