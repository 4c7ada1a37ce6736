/**
 * End-to-end latency of one Nexmark query on the engine, log source: the query runs first (on an empty
 * input topic); then the events are produced into the input topic at a fixed rate, each split's events
 * appended to its partition every ~1 ms with the record timestamp = the wall clock when produced, from
 * generators whose base time is the moment production started and whose rate is the pacing rate (so an
 * event's time is when it was due). A read-committed consumer of the output topic takes, for every
 * output, the wall clock when it became visible minus the event time it carries (its record timestamp:
 * the input's event time, or for windows and timers the window end - 1 / timer time). Producer, engine
 * and consumer share the case process.
 */
import { createEngine, type EncodableRecord } from '../../packages/rivulet/src/index.ts';
import { nexmarkQueries } from '../../packages/rivulet/src/nexmark/index.ts';
import { latencyPercentiles } from '../sample-stats.ts';
import { makeTempDir } from '../temp-dir.ts';
import { failedError, runOptions } from './engine-case.ts';
import { appendSideInput, EVENTS_TOPIC, eventRecord, splitGenerators } from './nexmark-events.ts';
import { exportPipelineToWorkers, outTopic, queryPipeline } from './nexmark-pipelines.ts';

export interface LatencyRequest {
  query: string;
  parallelism: number;
  commitIntervalMs: number;
  /** Input events per second (= the generator's event-time rate). */
  rate: number;
  seed: number;
  /** Outputs whose event time falls before this much time has passed are not counted. */
  warmupMs: number;
  /** Outputs with event times in this span after the warm-up are counted. */
  durationMs: number;
  /**
   * Production goes on this much longer, so that windows ending in the counted span close (the
   * watermark needs later events) and their outputs arrive.
   */
  tailMs: number;
}

export interface LatencySample {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Outputs counted. */
  samples: number;
  /** Events per second actually produced during the counted span. */
  inputRate: number;
}

const TICK_MS = 1;

export async function measureEngineLatency(request: LatencyRequest): Promise<LatencySample> {
  const dir = makeTempDir('nexmark-latency');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const log = engine.log;
      if (nexmarkQueries.get(request.query)?.sideInput) await appendSideInput(log);
      const splits = request.parallelism;
      await log.createTopic(EVENTS_TOPIC, { partitions: splits });
      exportPipelineToWorkers({ kind: 'log' }, 'topic');
      const run = await engine.run(
        queryPipeline(request.query, { kind: 'log' }),
        runOptions(request.query, request.parallelism, request.commitIntervalMs),
      );
      const consumer = log.createConsumer({
        topics: [outTopic(request.query)],
        from: 'latest',
        maxWaitMs: 20,
      });
      await consumer.poll(); // fixes the start positions before anything is produced
      const started = Date.now();
      const countFrom = started + request.warmupMs;
      const countTo = countFrom + request.durationMs;
      const stopAt = countTo + request.tailMs;
      const generators = splitGenerators({
        events: 0,
        rate: request.rate,
        seed: request.seed,
        splits,
        baseTime: started,
      });
      const latencies: number[] = [];
      let producing = true;
      const consuming = (async () => {
        while (producing) {
          if (run.status().state === 'failed') throw failedError(run);
          for (const batch of await consumer.poll()) {
            const arrived = Date.now();
            for (const r of batch.records)
              if (r.timestamp >= countFrom && r.timestamp < countTo) latencies.push(arrived - r.timestamp);
          }
        }
      })();
      let sent = 0;
      let sentAtCountFrom: number | undefined;
      let sentAtCountTo: number | undefined;
      try {
        for (;;) {
          const now = Date.now();
          if (now >= stopAt) break;
          if (now >= countFrom && sentAtCountFrom === undefined) sentAtCountFrom = sent;
          if (now >= countTo && sentAtCountTo === undefined) sentAtCountTo = sent;
          const due = Math.floor(((now - started) / 1000) * request.rate) - sent;
          if (due > 0) {
            const perSplit: EncodableRecord[][] = generators.map(() => []);
            for (let i = 0; i < due; i++) {
              const k = (sent + i) % splits;
              perSplit[k]!.push(eventRecord(generators[k]!.next(), now));
            }
            await Promise.all(
              perSplit.map((records, k) =>
                records.length > 0 ? log.append(EVENTS_TOPIC, k, records) : undefined,
              ),
            );
            sent += due;
          }
          if (run.status().state === 'failed') throw failedError(run);
          await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        }
      } finally {
        producing = false;
        await consuming.catch(() => undefined);
      }
      await consuming;
      consumer.close();
      await run.stop();
      return {
        ...latencyPercentiles(latencies),
        inputRate: ((sentAtCountTo ?? sent) - (sentAtCountFrom ?? 0)) / (request.durationMs / 1000),
      };
    } finally {
      await engine.close();
    }
  } finally {
    dir.remove();
  }
}
