import { createLog, type EncodableRecord } from '../../packages/rivulet/src/index.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import { BOUND_MS, type Click, fillClicks, isFlushUser, PARTITIONS } from './click-fixtures.ts';
import type { WindowRequest, WindowSample } from './engine-windows.ts';
import { type WindowCounts, windowCounts } from './window-counts.ts';
import { OUT_TOPIC, SOURCE_TOPIC } from './window-pipelines.ts';

const FETCH_BYTES = 256 * 1024;

/**
 * The floor: the same work over the same records in the same embedded log, as a plain loop. It takes
 * the partitions in turn, one `log.fetch` of 256 KiB each (so both watermarks advance together, as the
 * engine's tasks do), `JSON.parse`s every value and counts it in that partition's windows (Maps, see
 * window-counts.ts; the input is already partitioned by user, so no repartition). After each fetch the
 * partition's watermark (largest event time seen - 5 s) moves, the min over partitions closes windows in
 * every partition, and their results are `JSON.stringify`d and appended, one awaited `log.append` per
 * output partition and fetch (durability none). No checkpoints, no overlap of fetch, work and append.
 */
export async function measureWindowFloor(request: WindowRequest): Promise<WindowSample> {
  const dir = makeTempDir('windows-floor');
  try {
    const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const fill = await fillClicks(log, SOURCE_TOPIC, request.records, request.users, request.rate);
      await log.createTopic(OUT_TOPIC, { partitions: PARTITIONS, durability: 'none' });
      const counts: WindowCounts[] = Array.from({ length: PARTITIONS }, () => windowCounts(request.kind));
      const maxTs = new Array<number>(PARTITIONS).fill(Number.NEGATIVE_INFINITY);
      const offsets = Array.from(
        { length: PARTITIONS },
        (_, p) => log.partition(SOURCE_TOPIC, p).logStartOffset,
      );
      const ends = Array.from({ length: PARTITIONS }, (_, p) => log.partition(SOURCE_TOPIC, p).highWatermark);
      let results = 0;
      let windowedRecords = 0;
      let late = 0;
      const startUs = hrMicros();
      const started = performance.now();
      for (let busy = true; busy; ) {
        busy = false;
        for (let p = 0; p < PARTITIONS; p++) {
          if (offsets[p]! >= ends[p]!) continue;
          busy = true;
          const { records, nextOffset } = await log.fetch(SOURCE_TOPIC, p, offsets[p]!, FETCH_BYTES);
          offsets[p] = nextOffset;
          let max = maxTs[p]!;
          for (let i = 0; i < records.length; i++) {
            const click = JSON.parse(records[i]!.valueString()!) as Click;
            if (!counts[p]!.add(click.user, click.ts)) late++;
            if (click.ts > max) max = click.ts;
          }
          maxTs[p] = max;
          const watermark = Math.min(...maxTs) - BOUND_MS;
          for (let q = 0; q < PARTITIONS; q++) {
            const closed = counts[q]!.close(watermark);
            if (closed.length === 0) continue;
            const out: EncodableRecord[] = new Array(closed.length);
            for (let i = 0; i < closed.length; i++) {
              const result = closed[i]!;
              out[i] = {
                key: Buffer.from(result.key),
                value: Buffer.from(JSON.stringify(result)),
                headers: undefined,
                timestamp: result.window.end - 1,
              };
              if (!isFlushUser(result.key)) {
                results++;
                windowedRecords += result.value;
              }
            }
            await log.append(OUT_TOPIC, q, out);
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        records: fill.records,
        results,
        windowedRecords,
        late,
        seconds,
        windowUs: [startUs, hrMicros()],
      };
    } finally {
      await log.close();
    }
  } finally {
    dir.remove();
  }
}
