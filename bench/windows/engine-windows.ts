import { createEngine, type Log } from '../../packages/rivulet/src/index.ts';
import { forEachJsonValue } from '../read-topic-values.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import { fillClicks, isFlushUser } from './click-fixtures.ts';
import { OUT_TOPIC, SOURCE_TOPIC, type WindowKind, windowPipeline } from './window-pipelines.ts';

export interface WindowRequest {
  kind: WindowKind;
  /** Data records (the flush records come on top). */
  records: number;
  users: number;
  /** Records per second of event time (click-fixtures.ts; EVENT_RATE when absent). */
  rate?: number;
  /** The engine's emit mode ('final' when absent; the floor and RxJS emit final results only). */
  emit?: 'final' | 'updates';
}

/** One timed pass over pre-filled input: `records` input records in `seconds`, and what came out. */
export interface WindowSample {
  records: number;
  /** Window results emitted, the flush user's excluded (its windows never close anyway). */
  results: number;
  /** The sum of the results' counts: records x windows per record when nothing was lost or late. */
  windowedRecords: number;
  /** Records found late (all their windows closed); 0 for this input. */
  late: number;
  seconds: number;
  /** Checkpoints the runner took during the pass (engine cases only). */
  checkpoints?: number;
  /** Engine cases: how long `engine.run` took (not part of `seconds`, which runs from when it resolved). */
  startMs?: number;
  /** process.hrtime of the timed window in microseconds, to cut a CPU profile to it. */
  windowUs: [number, number];
}

/** Counts the window results in `topic` (all of it, after the run stopped) and adds up their counts. */
async function readWindowResults(
  log: Log,
  topic: string,
): Promise<{ results: number; windowedRecords: number }> {
  let results = 0;
  let windowedRecords = 0;
  await forEachJsonValue(log, topic, (value) => {
    const result = value as { key: string; value: number };
    if (isFlushUser(result.key)) return;
    results++;
    windowedRecords += result.value;
  });
  return { results, windowedRecords };
}

/**
 * The engine over `records` clicks (plus the flush records) already in its log (fresh temp data dir,
 * background maintenance off, tasks in this thread, exactly-once, commit interval 100 ms): timed from
 * the moment `engine.run` resolved until the runner reports lag 0 — every input, repartition record and
 * watermark consumed and checkpointed, so the flush closed every window and its results are committed —
 * then stopped; the results are read back from the output topic afterwards (not timed).
 */
export async function measureEngineWindows(request: WindowRequest): Promise<WindowSample> {
  const dir = makeTempDir('windows');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const fill = await fillClicks(engine.log, SOURCE_TOPIC, request.records, request.users, request.rate);
      const p = windowPipeline(request.kind, SOURCE_TOPIC, OUT_TOPIC, request.emit);
      const runCalled = performance.now();
      const run = await engine.run(p, { commitIntervalMs: 100 });
      const startUs = hrMicros();
      const started = performance.now();
      for (;;) {
        const status = run.status();
        if (status.state === 'failed') throw status.error ?? new Error('pipeline failed');
        if (status.lag === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const seconds = (performance.now() - started) / 1000;
      const endUs = hrMicros();
      const status = run.status();
      await run.stop();
      const late = Object.values(status.late).reduce((sum, n) => sum + n, 0);
      return {
        records: fill.records,
        ...(await readWindowResults(engine.log, OUT_TOPIC)),
        late,
        seconds,
        checkpoints: status.checkpoints,
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
