import { SampleSet } from '../sample-set.ts';
import { quantileOfSorted } from '../sample-stats.ts';
import type { BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';
import { type LatencySample, measureAppendLatency, mergeLatencySamples } from './append-latency.ts';
import { type AppendPath, measureAppendThroughput, type ThroughputSample } from './append-throughput.ts';
import { type BenchLog, openBenchLog } from './bench-log.ts';
import { measureDurableThroughput } from './durable-throughput.ts';
import { bestNats, evaluateLogBars } from './log-bars.ts';
import { type LogBenchConfig, logBenchConfig } from './log-bench-config.ts';
import {
  connectNatsPeer,
  measureNatsPublish,
  type NatsPeer,
  type NatsPublishMode,
} from './nats-publish-throughput.ts';
import { startNatsServer } from './nats-server-process.ts';
import { measureRawFsLatency } from './raw-fs-latency.ts';
import { measureRawFsThroughput } from './raw-fs-throughput.ts';
import { measureConsumerRead, measureFetchRead } from './read-throughput.ts';
import { RECORD_SIZES, type RecordSize } from './record-fixtures.ts';

/** Where one repeat's numbers go: the sample set, or nowhere during the warm-up pass. */
type Sink = (caseName: string, metric: string, value: number) => void;

const LATENCY_METRICS: ReadonlyArray<[string, number]> = [
  ['p50-us', 0.5],
  ['p99-us', 0.99],
  ['p999-us', 0.999],
];

function addThroughput(sink: Sink, caseName: string, sample: ThroughputSample): void {
  if (sample.records > 0) sink(caseName, 'records/s', sample.records / sample.seconds);
  sink(caseName, 'MB/s', sample.payloadBytes / 1e6 / sample.seconds);
}

function addLatency(sink: Sink, caseName: string, sample: LatencySample): void {
  if (sample.sortedUs.length === 0) throw new Error(`${caseName}: no latency samples`);
  for (const [metric, q] of LATENCY_METRICS) sink(caseName, metric, quantileOfSorted(sample.sortedUs, q));
  sink(caseName, 'records/s', sample.sortedUs.length / (sample.windowMs / 1000));
}

/** Records per call and the record count rounded to whole calls' worth of `bytes`. */
function sizing(
  config: LogBenchConfig,
  size: RecordSize,
  bytes: number,
): { perCall: number; records: number } {
  const perCall = Math.max(1, Math.floor(config.chunkBytes / size.bytes));
  const calls = Math.max(1, Math.round(bytes / (perCall * size.bytes)));
  return { perCall, records: calls * perCall };
}

async function runLatencyCases(
  config: LogBenchConfig,
  sink: Sink,
  progress: (l: string) => void,
): Promise<void> {
  const bytes = config.latencyRecordBytes;
  // The raw floor for one record's bytes (the bar's baseline) and, for information, for one group of 16.
  const rawSizes = [bytes, 16 * bytes];
  const rawCases = rawSizes.map((b) => `raw-fs-fdatasync-latency-${sizeLabel(b)}`);
  progress(
    `${rawCases.join(', ')}, append-latency-fsync-c{${config.latencyProducers.join(',')}}, interleaved`,
  );
  const logs: BenchLog[] = [];
  try {
    for (const _ of config.latencyProducers) logs.push(await openBenchLog('fsync'));
    const raw: LatencySample[][] = rawSizes.map(() => []);
    const byProducers: LatencySample[][] = config.latencyProducers.map(() => []);
    const { latencyWarmupMs: warmup, latencySliceMs: slice } = config;
    for (let round = 0; round < config.latencySlices; round++) {
      for (let i = 0; i < rawSizes.length; i++)
        raw[i]!.push(await measureRawFsLatency(rawSizes[i]!, warmup, slice));
      for (let i = 0; i < config.latencyProducers.length; i++) {
        const producers = config.latencyProducers[i]!;
        byProducers[i]!.push(await measureAppendLatency(logs[i]!, producers, bytes, warmup, slice));
      }
    }
    rawCases.forEach((caseName, i) => {
      addLatency(sink, caseName, mergeLatencySamples(raw[i]!));
    });
    config.latencyProducers.forEach((producers, i) => {
      addLatency(sink, `append-latency-fsync-c${producers}`, mergeLatencySamples(byProducers[i]!));
    });
  } finally {
    for (const log of logs) await log.close();
  }
}

/** '100B', '1KiB', '16KiB'. */
function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}KiB` : `${bytes}B`;
}

async function runAppendCase(
  sink: Sink,
  progress: (l: string) => void,
  path: AppendPath,
  durability: 'fsync' | 'none' | 'interval(100ms)',
  size: RecordSize,
  records: number,
  perCall: number,
  depth: number,
  afterwards?: (bench: BenchLog) => Promise<void>,
): Promise<void> {
  const mode = durability === 'interval(100ms)' ? 'interval' : durability;
  const caseName = `${path}-${mode}-${size.label}`;
  progress(caseName);
  const bench = await openBenchLog(durability);
  try {
    const sample = await measureAppendThroughput(bench, {
      path,
      recordBytes: size.bytes,
      records,
      recordsPerCall: perCall,
      depth,
    });
    addThroughput(sink, caseName, sample);
    if (afterwards !== undefined) await afterwards(bench);
  } finally {
    await bench.close();
  }
}

async function runThroughputCases(
  config: LogBenchConfig,
  sink: Sink,
  progress: (l: string) => void,
): Promise<void> {
  for (const size of RECORD_SIZES) {
    // Durable: raw floor, log.append and producer.send, paired call by call (see durable-throughput.ts).
    const durable = sizing(config, size, config.fsyncBytes);
    progress(`raw-fs-fdatasync-${size.label}, append-fsync-${size.label}, send-fsync-${size.label}, paired`);
    const paired = await measureDurableThroughput(
      size.bytes,
      durable.perCall,
      durable.records / durable.perCall,
    );
    addThroughput(sink, `raw-fs-fdatasync-${size.label}`, paired.raw);
    addThroughput(sink, `append-fsync-${size.label}`, paired.append);
    addThroughput(sink, `send-fsync-${size.label}`, paired.send);
    // Not durable: raw write floor, then the log (the `none` topic is read back before it is deleted).
    const loose = sizing(config, size, config.nonDurableBytes);
    progress(`raw-fs-write-${size.label}`);
    addThroughput(
      sink,
      `raw-fs-write-${size.label}`,
      await measureRawFsThroughput({
        chunkBytes: loose.perCall * size.bytes,
        totalBytes: loose.records * size.bytes,
        sync: false,
      }),
    );
    const depth = config.nonDurableDepth;
    await runAppendCase(
      sink,
      progress,
      'append',
      'none',
      size,
      loose.records,
      loose.perCall,
      depth,
      async (b) => {
        progress(`read-fetch-${size.label}`);
        addThroughput(sink, `read-fetch-${size.label}`, await measureFetchRead(b, size.bytes));
        progress(`read-consumer-${size.label}`);
        addThroughput(sink, `read-consumer-${size.label}`, await measureConsumerRead(b, size.bytes));
      },
    );
    await runAppendCase(
      sink,
      progress,
      'append',
      'interval(100ms)',
      size,
      loose.records,
      loose.perCall,
      depth,
    );
    await runAppendCase(sink, progress, 'send', 'none', size, loose.records, loose.perCall, depth);
    await runAppendCase(sink, progress, 'send', 'interval(100ms)', size, loose.records, loose.perCall, depth);
  }
}

async function runNatsCases(
  config: LogBenchConfig,
  peer: NatsPeer,
  sink: Sink,
  progress: (l: string) => void,
): Promise<void> {
  for (const size of RECORD_SIZES) {
    const messages = config.natsMessages[size.label] ?? 10_000;
    for (const mode of ['js-publish', 'core-publish'] as NatsPublishMode[]) {
      const caseName = `nats-${mode}-${size.label}`;
      progress(caseName);
      addThroughput(
        sink,
        caseName,
        await measureNatsPublish(peer, mode, size.bytes, messages, config.natsWindow),
      );
    }
  }
}

/** One pass over every case. */
async function runAll(
  config: LogBenchConfig,
  peer: NatsPeer,
  sink: Sink,
  progress: (l: string) => void,
): Promise<void> {
  await runLatencyCases(config, sink, progress);
  await runThroughputCases(config, sink, progress);
  await runNatsCases(config, peer, sink, progress);
}

/** Which same-run baseline each (case, metric) is compared with; several lines when several apply. */
function baselinesFor(
  config: LogBenchConfig,
  caseName: string,
  metric: string,
  samples: SampleSet,
): Array<{ name: string; value: number }> {
  const out: Array<{ name: string; value: number }> = [];
  const add = (name: string | undefined, value: number | undefined): void => {
    if (name !== undefined && value !== undefined) out.push({ name, value });
  };
  const latency = /^append-latency-fsync-c\d+$/.exec(caseName);
  if (latency !== null && metric !== 'records/s') {
    // Every latency case against the raw floor of one record; c16 also against one 16-record group.
    const oneRecord = `raw-fs-fdatasync-latency-${sizeLabel(config.latencyRecordBytes)}`;
    add(oneRecord, samples.median(oneRecord, metric));
    if (caseName === 'append-latency-fsync-c16') {
      const oneGroup = `raw-fs-fdatasync-latency-${sizeLabel(16 * config.latencyRecordBytes)}`;
      add(oneGroup, samples.median(oneGroup, metric));
    }
    return out;
  }
  const append = /^(append|send)-(fsync|none|interval)-(.+)$/.exec(caseName);
  if (append === null) return out;
  const [, , mode, label] = append;
  if (metric === 'MB/s') {
    const raw = mode === 'fsync' ? `raw-fs-fdatasync-${label}` : `raw-fs-write-${label}`;
    add(raw, samples.median(raw, 'MB/s'));
  }
  if (metric === 'records/s') {
    const peer = bestNats((c, m) => samples.median(c, m), label!);
    add(peer?.caseName, peer?.value);
  }
  return out;
}

function buildResults(config: LogBenchConfig, samples: SampleSet): BenchResult[] {
  return samples.toResults('log', (caseName, metric) => baselinesFor(config, caseName, metric, samples));
}

async function runLogSuite(options: SuiteOptions): Promise<SuiteReport> {
  const config = logBenchConfig(options);
  const samples = new SampleSet();
  let natsVersion = 'unknown';
  const server = await startNatsServer();
  try {
    const peer = await connectNatsPeer(server.url);
    natsVersion = peer.serverVersion;
    try {
      options.progress(`nats-server ${server.url} (pid ${server.pid}); warm-up pass (not reported)`);
      await runAll(
        logBenchConfig({ quick: true, scale: 1 }),
        peer,
        () => undefined,
        () => undefined,
      );
      for (let r = 1; r <= options.repeat; r++) {
        options.progress(`repeat ${r}/${options.repeat}`);
        await runAll(config, peer, (c, m, v) => samples.add(c, m, v), options.progress);
      }
    } finally {
      await peer.close();
    }
  } finally {
    await server.stop();
  }
  const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;
  return {
    results: buildResults(config, samples),
    bars: evaluateLogBars((c, m) => samples.median(c, m)),
    notes: [
      `records: a value of exactly 100 B or 1 KiB (random bytes), no key, no headers; MB/s = 10^6 payload ` +
        `bytes per second in every case, baselines included (the log also writes its framing)`,
      `append-* = log.append (pre-normalised records); send-* = producer.send (idempotent producer, ` +
        `normalised per record); one single-partition topic per case, in a fresh log`,
      `fsync cases and raw-fs-fdatasync-*: ${config.chunkBytes / 1024} KiB of payload per call/write, one at ` +
        `a time, each one write + one fdatasync; raw, append and send calls alternate (rotating order) so ` +
        `all three see the same disk moments; MB/s = payload / own time (${mb(config.fsyncBytes)} per case)`,
      `none/interval cases: same calls, ${config.nonDurableDepth} in flight (${mb(config.nonDurableBytes)} ` +
        `per case); raw-fs-write-* writes the same chunks sequentially without fdatasync`,
      `latency: each producer sends one ${config.latencyRecordBytes}-byte record and awaits its ack; ` +
        `per repeat ${config.latencySlices} slices of ${config.latencySliceMs} ms (after ${config.latencyWarmupMs} ms ` +
        'warm-up each) per case, cases taken in turn; raw-fs-fdatasync-latency-1KiB = one writer, write + ' +
        "fdatasync of one record's bytes (the bar's baseline); -16KiB = the bytes of one 16-record group " +
        '(information)',
      'read-*: the append-none topic read from offset 0 with log.fetch (1 MiB) or consumer.poll, from the ' +
        'page cache, summing valueSize of every record',
      `nats-*: private nats-server ${natsVersion} on 127.0.0.1 (same 2 cores), file storage, R1, up to ` +
        `${config.natsWindow} publishes unacknowledged (sliding window); js-publish = jetstream().publish, ` +
        'core-publish = nc.publish with a reply subject (one PubAck per message); NATS 2.9 does not fsync ' +
        'per message, so the bar compares it with none/interval (fsync rows show the ratio for information)',
      'ratios: value / baseline value; for latencies lower is better. Medians over repeats.',
    ],
  };
}

export const logSuite: Suite = {
  name: 'log',
  description: 'embedded log: append, durable latency, read; raw fs and NATS JetStream baselines',
  run: runLogSuite,
};
