import { createEngine, type Log } from '../../packages/rivulet/src/index.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import type { JoinSample, StreamTableRequest } from './join-sample.ts';
import { readJoinResults } from './read-join-results.ts';
import { fillStreamTableInputs } from './stream-table-inputs.ts';
import { JOINED_TOPIC, streamTablePipeline } from './stream-table-pipeline.ts';

/** Whether any join result has been appended to the output topic (committed or not). */
function anyOutput(log: Log): boolean {
  if (!log.hasTopic(JOINED_TOPIC)) return false;
  for (let p = 0; p < log.topicConfig(JOINED_TOPIC).partitions; p++)
    if (log.partition(JOINED_TOPIC, p).highWatermark > 0) return true;
  return false;
}

/**
 * The engine's stream-table join over the products table and the orders already in its log (fresh temp
 * data dir, background maintenance off, tasks in this thread, exactly-once, commit interval 100 ms):
 * timed from the moment `engine.run` resolved until the runner reports lag 0 — the table topic read
 * into its store (each task reads its table partition to the end before any order), every order
 * consumed and the results and the table's changelog checkpointed — then stopped. The first join result
 * appearing in the output topic (polled every 2 ms) marks the end of the table load. The results are
 * read back from the output topic afterwards (not timed).
 */
export async function measureEngineStreamTable(request: StreamTableRequest): Promise<JoinSample> {
  const dir = makeTempDir('joins');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const expected = await fillStreamTableInputs(engine.log, request);
      const runCalled = performance.now();
      const run = await engine.run(streamTablePipeline(), { commitIntervalMs: 100 });
      const startUs = hrMicros();
      const started = performance.now();
      let firstOutputMs: number | undefined;
      for (;;) {
        const status = run.status();
        if (status.state === 'failed') throw status.error ?? new Error('pipeline failed');
        if (firstOutputMs === undefined && anyOutput(engine.log)) firstOutputMs = performance.now() - started;
        if (status.lag === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const seconds = (performance.now() - started) / 1000;
      const endUs = hrMicros();
      const checkpoints = run.status().checkpoints;
      await run.stop();
      return {
        records: request.orders,
        tableRecords: request.products,
        ...(await readJoinResults(engine.log, JOINED_TOPIC)),
        expectedResults: expected.results,
        expectedAmountSum: expected.amountSum,
        seconds,
        firstOutputMs,
        checkpoints,
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
