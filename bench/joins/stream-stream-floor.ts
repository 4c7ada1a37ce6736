import { createLog, type EncodableRecord, type LogRecord } from '../../packages/rivulet/src/index.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import {
  type AdEvent,
  BOUND_MS,
  CLICKS_TOPIC,
  fillStreamStreamInputs,
  IMPRESSIONS_TOPIC,
  WITHIN_MS,
} from './ad-event-fixtures.ts';
import type { StreamStreamRequest, StreamStreamSample } from './join-sample.ts';
import { PARTITIONS } from './product-fixtures.ts';
import { MATCHES_TOPIC, matchAd, pairWeight } from './stream-stream-pipeline.ts';

const FETCH_BYTES = 256 * 1024;

/** 0: impressions (the left side), 1: clicks. */
type Side = 0 | 1;

const TOPICS = [IMPRESSIONS_TOPIC, CLICKS_TOPIC] as const;

/** A buffered record in its side's arrival-order queue. */
interface Queued {
  key: string;
  event: AdEvent;
}

/** An arrival-order queue (an array with a moving head, compacted now and then). */
class Queue {
  items: Queued[] = [];
  head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  shift(): void {
    this.head++;
    if (this.head >= 65_536 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** One partition's join: per key, each side's buffered records in arrival order; watermarks per side. */
class PartitionJoin {
  readonly byKey = new Map<string, [AdEvent[], AdEvent[]]>();
  readonly queues: [Queue, Queue] = [new Queue(), new Queue()];
  readonly maxTs: [number, number] = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  /** min of the two sides' watermarks (max time seen - BOUND_MS); -Infinity until both have one. */
  watermark = Number.NEGATIVE_INFINITY;

  /**
   * Joins one batch of `side` (records behind the watermark are late: counted, never joined), buffers
   * its records, then moves that side's watermark and drops what the join's watermark has passed.
   */
  process(side: Side, records: readonly LogRecord[], out: EncodableRecord[], totals: Totals): void {
    const other = side === 0 ? 1 : 0;
    let max = this.maxTs[side];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const event = JSON.parse(r.valueString()!) as AdEvent;
      const t = event.ts;
      if (t > max) max = t;
      if (t < this.watermark) {
        totals.late++;
        continue;
      }
      const key = r.keyString()!;
      let buffers = this.byKey.get(key);
      if (buffers === undefined) {
        buffers = [[], []];
        this.byKey.set(key, buffers);
      }
      const partners = buffers[other];
      for (let j = 0; j < partners.length; j++) {
        const partner = partners[j]!;
        if (Math.abs(partner.ts - t) > WITHIN_MS) continue;
        const [imp, click] = side === 0 ? [event, partner] : [partner, event];
        const match = matchAd(imp, click);
        totals.pairs++;
        totals.checksum += pairWeight(match.imp, match.click);
        out.push({
          key: r.key,
          value: Buffer.from(JSON.stringify(match)),
          headers: undefined,
          timestamp: Math.max(t, partner.ts),
        });
      }
      buffers[side].push(event);
      this.queues[side].items.push({ key, event });
    }
    this.maxTs[side] = max;
    const watermark = Math.min(this.maxTs[0], this.maxTs[1]) - BOUND_MS;
    if (watermark > this.watermark) {
      this.watermark = watermark;
      this.#drop(0);
      this.#drop(1);
    }
  }

  /**
   * Drops `side`'s records from the front of its queue while the watermark has passed their time +
   * within. A record behind one not yet due waits until that one goes (at most the out-of-orderness
   * longer): it can join nothing more anyway, as every later on-time record is over `within` away.
   */
  #drop(side: Side): void {
    const queue = this.queues[side];
    while (queue.size > 0) {
      const { key, event } = queue.items[queue.head]!;
      if (event.ts + WITHIN_MS >= this.watermark) break;
      queue.shift();
      const buffers = this.byKey.get(key)!;
      buffers[side].shift();
      if (buffers[0].length === 0 && buffers[1].length === 0) this.byKey.delete(key);
    }
  }

  get stateRecords(): number {
    return this.queues[0].size + this.queues[1].size;
  }
}

interface Totals {
  pairs: number;
  checksum: number;
  late: number;
}

/**
 * The floor: the same inner join over the same records in the same embedded log, as a plain loop. Per
 * step, for each partition, one `log.fetch` of 256 KiB of impressions then one of clicks (as the engine's
 * task of that partition reads each input once per step); `JSON.parse` of every record; a record behind
 * the join's watermark would be late (counted, skipped); otherwise it is joined with its key's buffered
 * records of the other side within 5 minutes (each pair emitted once, when the later of the two is read:
 * `matchAd`, `JSON.stringify`) and buffered itself. After each fetch the side's watermark (largest time
 * - 5 s) moves, and records whose time + within the join's watermark (the min of both sides') has passed
 * are dropped. One awaited `log.append` to the output partition per fetch (durability none). Timed from
 * the first fetch to the last append; no store, changelog or checkpoints.
 */
export async function measureStreamStreamFloor(request: StreamStreamRequest): Promise<StreamStreamSample> {
  const dir = makeTempDir('joins-ss-floor');
  try {
    const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
    try {
      await fillStreamStreamInputs(log, request.recordsPerTopic, request.keys);
      await log.createTopic(MATCHES_TOPIC, { partitions: PARTITIONS, durability: 'none' });
      const joins = Array.from({ length: PARTITIONS }, () => new PartitionJoin());
      const totals: Totals = { pairs: 0, checksum: 0, late: 0 };
      let peakStateRecords = 0;
      const startUs = hrMicros();
      const started = performance.now();
      const positions = TOPICS.map((topic) =>
        Array.from({ length: PARTITIONS }, (_, p) => log.partition(topic, p).logStartOffset),
      );
      const ends = TOPICS.map((topic) =>
        Array.from({ length: PARTITIONS }, (_, p) => log.partition(topic, p).highWatermark),
      );
      for (let busy = true; busy; ) {
        busy = false;
        for (let p = 0; p < PARTITIONS; p++) {
          for (const side of [0, 1] as const) {
            const offset = positions[side]![p]!;
            if (offset >= ends[side]![p]!) continue;
            busy = true;
            const { records, nextOffset } = await log.fetch(TOPICS[side], p, offset, FETCH_BYTES);
            positions[side]![p] = nextOffset;
            const out: EncodableRecord[] = [];
            joins[p]!.process(side, records, out, totals);
            const state = joins[0]!.stateRecords + joins[1]!.stateRecords;
            if (state > peakStateRecords) peakStateRecords = state;
            if (out.length > 0) await log.append(MATCHES_TOPIC, p, out);
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        records: 2 * request.recordsPerTopic,
        pairs: totals.pairs,
        checksum: totals.checksum,
        late: totals.late,
        seconds,
        peakStateRecords,
        windowUs: [startUs, hrMicros()],
      };
    } finally {
      await log.close();
    }
  } finally {
    dir.remove();
  }
}
