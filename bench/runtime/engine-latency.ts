import { createEngine } from '../../packages/rivulet/src/index.ts';
import { latencyPercentiles } from '../sample-stats.ts';
import { makeTempDir } from '../temp-dir.ts';
import { type Guarantee, hrMicros, OUT_TOPIC, SOURCE_TOPIC } from './engine-throughput.ts';
import { keepOrder, nowMs, OrderGenerator, PARTITIONS, type Payment } from './order-fixtures.ts';
import { statelessPipeline } from './runtime-pipelines.ts';

export interface LatencyRequest {
  guarantee: Guarantee;
  /**
   * Input records per second the producer appends; 'max': as fast as it can (chunks of SATURATION_CHUNK
   * records, yielding to the engine after each), to find the rate this setup sustains.
   */
  rate: number | 'max';
  keys: number;
  /** Records sent before this much time has passed are not counted. */
  warmupMs: number;
  /** Measured part of the run, after the warm-up. */
  durationMs: number;
}

export interface LatencySample {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Outputs whose latency was counted. */
  samples: number;
  /** Input records per second actually appended during the measured part. */
  inputRate: number;
  /** Outputs expected (counted window) but not seen before the drain timeout. */
  missing: number;
  /** Input records per second the engine processed during the measured part (checkpoint granularity). */
  processedRate: number;
  windowUs: [number, number];
}

const TICK_MS = 1;
const SATURATION_CHUNK = 1000;
const DRAIN_TIMEOUT_MS = 3000;

/**
 * End-to-end latency of the stateless pipeline at a steady input rate (or, with rate 'max', the rate the
 * whole setup sustains): a producer (idempotent,
 * `producer.send`, keyed by user) appends what is due every ~1 ms, each record carrying its send time in
 * `ts`; a read-committed consumer from 'latest' on the output topic records arrival minus `ts` for
 * every output of a record sent after the warm-up. All three share the main thread with the engine.
 */
export async function measureEngineLatency(request: LatencyRequest): Promise<LatencySample> {
  const dir = makeTempDir('runtime-latency');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const log = engine.log;
      await log.createTopic(SOURCE_TOPIC, { partitions: PARTITIONS, durability: 'none' });
      const run = await engine.run(statelessPipeline(SOURCE_TOPIC, OUT_TOPIC), {
        guarantee: request.guarantee,
        commitIntervalMs: 100,
      });
      const consumer = log.createConsumer({ topics: [OUT_TOPIC], from: 'latest', maxWaitMs: 50 });
      await consumer.poll(); // fixes the start positions before anything is produced
      const started = nowMs();
      const countFrom = started + request.warmupMs;
      const stopAt = countFrom + request.durationMs;
      const latencies: number[] = [];
      let expected = 0;
      let producing = true;
      const consuming = (async () => {
        const drainDeadline = (): number =>
          producing ? Number.POSITIVE_INFINITY : stopAt + DRAIN_TIMEOUT_MS;
        while (latencies.length < expected || producing) {
          if (nowMs() > drainDeadline()) break;
          const status = run.status();
          if (status.state === 'failed') throw status.error ?? new Error('pipeline failed');
          for (const batch of await consumer.poll()) {
            const arrived = nowMs();
            for (const r of batch.records) {
              const payment = JSON.parse(r.valueString()!) as Payment;
              if (payment.ts >= countFrom && payment.ts < stopAt) latencies.push(arrived - payment.ts);
            }
          }
        }
      })();
      const producer = log.createProducer();
      const generator = new OrderGenerator(request.keys);
      let sent = 0;
      let sentMeasured = 0;
      let processedAtCountFrom: number | undefined;
      const startUs = hrMicros();
      for (;;) {
        const now = nowMs();
        if (now >= stopAt) break;
        if (now >= countFrom && processedAtCountFrom === undefined)
          processedAtCountFrom = run.status().recordsIn;
        const due =
          request.rate === 'max'
            ? SATURATION_CHUNK
            : Math.floor(((now - started) / 1000) * request.rate) - sent;
        if (due > 0) {
          const records = [];
          for (let i = 0; i < due; i++) {
            const order = generator.next(now);
            if (now >= countFrom && keepOrder(order)) expected++;
            records.push({ key: order.user, value: JSON.stringify(order) });
          }
          await producer.send(SOURCE_TOPIC, records);
          sent += due;
          if (now >= countFrom) sentMeasured += due;
        }
        if (request.rate === 'max') await new Promise((resolve) => setImmediate(resolve));
        else await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      const processedRate =
        (run.status().recordsIn - (processedAtCountFrom ?? 0)) / (request.durationMs / 1000);
      producing = false;
      await consuming;
      const endUs = hrMicros();
      consumer.close();
      await run.stop();
      return {
        ...latencyPercentiles(latencies),
        inputRate: sentMeasured / (request.durationMs / 1000),
        missing: Math.max(0, expected - latencies.length),
        processedRate,
        windowUs: [startUs, endUs],
      };
    } finally {
      await engine.close();
    }
  } finally {
    dir.remove();
  }
}
