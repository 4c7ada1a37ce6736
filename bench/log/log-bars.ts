import type { BarVerdict } from '../suite.ts';
import { RECORD_SIZES } from './record-fixtures.ts';

/** Looks up the median of a (case, metric) of this run. */
export type MedianLookup = (caseName: string, metric: string) => number | undefined;

/** Which NATS case did best for a record size (the peer's best shot), with its records/s. */
export function bestNats(
  lookup: MedianLookup,
  label: string,
): { caseName: string; value: number } | undefined {
  let best: { caseName: string; value: number } | undefined;
  for (const caseName of [`nats-js-publish-${label}`, `nats-core-publish-${label}`]) {
    const value = lookup(caseName, 'records/s');
    if (value !== undefined && (best === undefined || value > best.value)) best = { caseName, value };
  }
  return best;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function ratioBar(
  name: string,
  rule: string,
  subject: number | undefined,
  subjectText: string,
  baseline: number | undefined,
  baselineText: string,
  check: (ratio: number) => boolean,
): BarVerdict {
  if (subject === undefined || baseline === undefined)
    return { name, rule, measured: 'not measured in this run', pass: undefined };
  const ratio = subject / baseline;
  return {
    name,
    rule,
    measured: `${subjectText} ${fmt(subject)} vs ${baselineText} ${fmt(baseline)}: ratio ${ratio.toFixed(3)}`,
    pass: check(ratio),
  };
}

/** The bars, evaluated on this run's medians. */
export function evaluateLogBars(lookup: MedianLookup): BarVerdict[] {
  const bars: BarVerdict[] = [];
  bars.push(
    ratioBar(
      'durable append throughput, 1 KiB records',
      'append-fsync-1KiB MB/s >= 0.70 x raw-fs-fdatasync-1KiB MB/s (both: 256 KiB of payload per call, ' +
        'one call at a time = one write + one fdatasync, calls of the two alternating)',
      lookup('append-fsync-1KiB', 'MB/s'),
      'append-fsync-1KiB MB/s',
      lookup('raw-fs-fdatasync-1KiB', 'MB/s'),
      'raw-fs-fdatasync-1KiB MB/s',
      (r) => r >= 0.7,
    ),
  );
  const c16 = lookup('append-latency-fsync-c16', 'p99-us');
  const raw99 = lookup('raw-fs-fdatasync-latency-1KiB', 'p99-us');
  bars.push(
    ratioBar(
      'durable p99 latency, 16 producers',
      'append-latency-fsync-c16 p99 <= 2 x raw-fs-fdatasync-latency-1KiB p99 (1 KiB records)',
      c16,
      'p99 us',
      raw99,
      'raw p99 us',
      (r) => r <= 2,
    ),
  );
  const none100 = lookup('append-none-100B', 'records/s');
  const send100 = lookup('send-none-100B', 'records/s');
  bars.push({
    name: 'non-durable append, 100-byte records',
    rule: 'append-none-100B (log.append) >= 2,000,000 records/s',
    measured:
      none100 === undefined
        ? 'not measured in this run'
        : `${fmt(none100)} records/s` +
          (send100 === undefined ? '' : ` (producer.send path, send-none-100B: ${fmt(send100)} records/s)`),
    pass: none100 === undefined ? undefined : none100 >= 2_000_000,
  });
  const read = lookup('read-fetch-100B', 'records/s');
  const consumerRead = lookup('read-consumer-100B', 'records/s');
  bars.push({
    name: 'read',
    rule: 'read-fetch-100B (log.fetch loop from offset 0) >= 5,000,000 records/s',
    measured:
      read === undefined
        ? 'not measured in this run'
        : `${fmt(read)} records/s` +
          (consumerRead === undefined ? '' : ` (consumer.poll path: ${fmt(consumerRead)} records/s)`),
    pass: read === undefined ? undefined : read >= 5_000_000,
  });
  // Every non-durable Rivulet case against the better NATS publish path of the same record size.
  let worst: { text: string; ratio: number } | undefined;
  const parts: string[] = [];
  let complete = true;
  for (const size of RECORD_SIZES) {
    const peer = bestNats(lookup, size.label);
    for (const path of ['append', 'send']) {
      for (const mode of ['none', 'interval']) {
        const caseName = `${path}-${mode}-${size.label}`;
        const value = lookup(caseName, 'records/s');
        if (value === undefined || peer === undefined) {
          complete = false;
          continue;
        }
        const ratio = value / peer.value;
        parts.push(`${caseName} ${ratio.toFixed(1)}x`);
        if (worst === undefined || ratio < worst.ratio)
          worst = {
            text: `${caseName} ${fmt(value)} vs ${peer.caseName} ${fmt(peer.value)} records/s`,
            ratio,
          };
      }
    }
  }
  bars.push({
    name: 'non-durable throughput vs NATS JetStream',
    rule:
      'every {append, send} x {none, interval(100ms)} x {100B, 1KiB} case >= 10 x the best NATS JetStream ' +
      'file-storage publish case of the same record size, in records/s (NATS 2.9 does not fsync per message)',
    measured:
      worst === undefined
        ? 'not measured in this run'
        : `lowest: ${worst.text} = ${worst.ratio.toFixed(1)}x; all: ${parts.join(', ')}` +
          (complete ? '' : ' (some cases not measured)'),
    pass: worst === undefined ? undefined : worst.ratio >= 10,
  });
  return bars;
}
