import { createEngine, type Engine } from '../../packages/rivulet/src/index.ts';
import { makeTempDir } from '../temp-dir.ts';
import { fillOrders, PARTITIONS } from './order-fixtures.ts';
import {
  buildPipeline,
  OUT_TOPIC,
  type PipelineKind,
  pipelineModule,
  SOURCE_TOPIC,
} from './runtime-pipelines.ts';

export type Guarantee = 'exactly-once' | 'at-least-once';

export interface ThroughputRequest {
  kind: PipelineKind;
  records: number;
  keys: number;
}

/** One timed pass over pre-filled input: `records` input records in `seconds`. */
export interface ThroughputSample {
  records: number;
  outputs: number;
  seconds: number;
  /** Checkpoints the runner took during the pass (engine cases only). */
  checkpoints?: number;
  /**
   * Engine cases: how long `engine.run` took (recovery, stores, worker threads starting and loading the
   * pipeline module), not part of `seconds`, which runs from the moment it resolved.
   */
  startMs?: number;
  /** process.hrtime of the timed window in microseconds, to cut a CPU profile to it. */
  windowUs: [number, number];
}

export { OUT_TOPIC, SOURCE_TOPIC };

/** Monotonic microseconds (the clock V8 CPU profiles use on Linux). */
export function hrMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function committedOutputs(engine: Engine): number {
  if (!engine.log.hasTopic(OUT_TOPIC)) return 0;
  let total = 0;
  for (let p = 0; p < PARTITIONS; p++) total += engine.log.partition(OUT_TOPIC, p).committedOffset;
  return total;
}

/**
 * The engine over `records` orders already in its log (fresh temp data dir, background maintenance
 * off), its tasks in this thread (parallelism 1) or in `parallelism` worker threads: timed from the moment
 * `engine.run` resolved (tasks started) until the runner reports lag 0 and the output partitions'
 * committed offsets cover every expected output (readable by a read-committed consumer), then stopped.
 */
export async function measureEngineThroughput(
  request: ThroughputRequest & { guarantee: Guarantee; parallelism: number },
): Promise<ThroughputSample> {
  const dir = makeTempDir('runtime');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const fill = await fillOrders(engine.log, SOURCE_TOPIC, request.records, request.keys);
      const expected = request.kind === 'stateless' ? fill.kept : fill.records;
      const p = buildPipeline(request.kind, SOURCE_TOPIC, OUT_TOPIC);
      const runCalled = performance.now();
      const run = await engine.run(p, {
        guarantee: request.guarantee,
        commitIntervalMs: 100,
        parallelism: request.parallelism,
        ...(request.parallelism > 1 ? pipelineModule(request.kind) : {}),
      });
      const startUs = hrMicros();
      const started = performance.now();
      for (;;) {
        const status = run.status();
        if (status.state === 'failed') throw status.error ?? new Error('pipeline failed');
        if (status.lag === 0 && committedOutputs(engine) >= expected) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const seconds = (performance.now() - started) / 1000;
      const endUs = hrMicros();
      const checkpoints = run.status().checkpoints;
      await run.stop();
      return {
        records: fill.records,
        outputs: committedOutputs(engine),
        seconds,
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
