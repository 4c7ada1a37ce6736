import { createEngine } from '../../packages/rivulet/src/index.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import { fillStreamStreamInputs } from './ad-event-fixtures.ts';
import type { StreamStreamRequest, StreamStreamSample } from './join-sample.ts';
import { readMatchResults } from './read-join-results.ts';
import { JOIN_STORE, MATCHES_TOPIC, streamStreamPipeline } from './stream-stream-pipeline.ts';

/**
 * The engine's stream-stream join of the impressions and clicks already in its log (fresh temp data dir,
 * background maintenance off, tasks in this thread, exactly-once, commit interval 100 ms): timed from the
 * moment `engine.run` resolved until the runner reports lag 0 (polled every 2 ms) — both topics consumed
 * (each task reads its impressions and clicks partitions once per step), the flush records' watermark
 * having dropped the join state, the pairs and the store's changelog checkpointed — then stopped. The
 * pairs are read back from the output topic afterwards (not timed).
 */
export async function measureEngineStreamStream(request: StreamStreamRequest): Promise<StreamStreamSample> {
  const dir = makeTempDir('joins-ss');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      await fillStreamStreamInputs(engine.log, request.recordsPerTopic, request.keys);
      (globalThis as { gc?: () => void }).gc?.();
      const rssAtStart = process.memoryUsage.rss();
      let rssPeak = rssAtStart;
      let stateEntriesPeak = 0;
      const gc = (globalThis as { gc?: () => void }).gc;
      let liveHeapPeak = 0;
      let lastGc = performance.now();
      const runCalled = performance.now();
      const run = await engine.run(streamStreamPipeline(), { commitIntervalMs: 100 });
      const startUs = hrMicros();
      const started = performance.now();
      for (;;) {
        const status = run.status();
        if (status.state === 'failed') throw status.error ?? new Error('pipeline failed');
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        stateEntriesPeak = Math.max(stateEntriesPeak, status.storeEntries[JOIN_STORE] ?? 0);
        if (gc !== undefined && performance.now() - lastGc >= 1000) {
          gc();
          liveHeapPeak = Math.max(liveHeapPeak, process.memoryUsage().heapUsed);
          lastGc = performance.now();
        }
        if (status.lag === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const seconds = (performance.now() - started) / 1000;
      const endUs = hrMicros();
      const status = run.status();
      await run.stop();
      return {
        records: 2 * request.recordsPerTopic,
        ...(await readMatchResults(engine.log, MATCHES_TOPIC)),
        late: Object.values(status.late).reduce((a, b) => a + b, 0),
        seconds,
        checkpoints: status.checkpoints,
        runRssGrowthBytes: rssPeak - rssAtStart,
        stateEntriesPeak,
        ...(liveHeapPeak > 0 ? { liveHeapPeakBytes: liveHeapPeak } : {}),
        startMs: started - runCalled,
        windowUs: [startUs, endUs],
      };
    } finally {
      await engine.close();
    }
  } finally {
    dir.remove();
  }
}
