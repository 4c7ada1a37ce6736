import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBatch, readBatchHeader } from './record-batch.ts';
import { parseSegmentName } from './segment.ts';
import { SparseIndex } from './sparse-index.ts';

/** One finding of `verifyLog`. `severity: 'error'` means data that cannot be read back. */
export interface VerifyProblem {
  severity: 'error' | 'notice';
  kind: 'corrupt-batch' | 'torn-tail' | 'index-mismatch' | 'offset-gap' | 'metadata';
  topic: string;
  partition: number;
  segment: number;
  /** Byte position in the segment file. */
  position: number;
  fromOffset: number;
  toOffset: number;
  message: string;
}

export interface VerifyReport {
  topics: number;
  partitions: number;
  segments: number;
  batches: number;
  records: number;
  bytes: number;
  problems: VerifyProblem[];
}

const MAX_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Reads every segment of every partition under `dataDir` without changing anything: checks each batch's
 * length, magic and CRC, offset continuity, and that index entries point at batch starts. A bad region
 * is reported with its byte position and offset range, then reading resumes at the next index entry.
 * An invalid tail of a partition's last segment is a notice (recovery truncates it on the next open);
 * anything else is an error.
 */
export function verifyLog(dataDir: string): VerifyReport {
  const report: VerifyReport = {
    topics: 0,
    partitions: 0,
    segments: 0,
    batches: 0,
    records: 0,
    bytes: 0,
    problems: [],
  };
  const topicsDir = join(dataDir, 'topics');
  if (!existsSync(topicsDir)) return report;
  for (const topic of readdirSync(topicsDir).sort()) {
    if (topic.startsWith('.')) continue;
    report.topics++;
    const topicDir = join(topicsDir, topic);
    const partitions = readdirSync(topicDir)
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => a - b);
    for (const partition of partitions) {
      report.partitions++;
      verifyPartition(join(topicDir, String(partition)), topic, partition, report);
    }
  }
  return report;
}

function verifyPartition(dir: string, topic: string, partition: number, report: VerifyReport): void {
  const bases = readdirSync(dir)
    .map(parseSegmentName)
    .filter((p) => p?.ext === 'log')
    .map((p) => p!.base)
    .sort((a, b) => a - b);
  let expected: number | undefined;
  bases.forEach((base, i) => {
    report.segments++;
    const isLast = i === bases.length - 1;
    const nextBase = bases[i + 1];
    expected = verifySegment(dir, topic, partition, base, expected, isLast, nextBase, report);
  });
}

function verifySegment(
  dir: string,
  topic: string,
  partition: number,
  base: number,
  expectedIn: number | undefined,
  isLast: boolean,
  nextBase: number | undefined,
  report: VerifyReport,
): number {
  const name = String(base).padStart(20, '0');
  const data = readFileSync(join(dir, `${name}.log`));
  report.bytes += data.length;
  const index = new SparseIndex(4096);
  let sealed = false;
  if (existsSync(join(dir, `${name}.index`)) && existsSync(join(dir, `${name}.timeindex`))) {
    sealed =
      index.decode(
        readFileSync(join(dir, `${name}.index`)),
        readFileSync(join(dir, `${name}.timeindex`)),
        data.length,
      ) !== undefined;
    if (!sealed) {
      report.problems.push(
        problem(
          'error',
          'index-mismatch',
          topic,
          partition,
          base,
          0,
          base,
          base,
          `index files of segment ${name} are invalid or do not match it`,
        ),
      );
    }
  }
  const problem0 = (
    severity: 'error' | 'notice',
    kind: VerifyProblem['kind'],
    position: number,
    from: number,
    to: number,
    message: string,
  ): void => {
    report.problems.push(problem(severity, kind, topic, partition, base, position, from, to, message));
  };
  if (expectedIn !== undefined && base < expectedIn) {
    problem0(
      'error',
      'offset-gap',
      0,
      base,
      expectedIn - 1,
      `segment ${name} starts at ${base}, before the previous segment's end ${expectedIn}`,
    );
  }
  const batchStarts = new Map<number, number>();
  let expected = Math.max(expectedIn ?? base, base);
  let pos = 0;
  while (pos < data.length) {
    const check = checkBatch(data, pos, data.length, MAX_BATCH_BYTES);
    const header = check === 'ok' ? readBatchHeader(data, pos) : undefined;
    if (header !== undefined && header.baseOffset >= expected) {
      batchStarts.set(pos, header.baseOffset);
      report.batches++;
      report.records += header.recordCount;
      expected = header.baseOffset + header.lastOffsetDelta + 1;
      pos += header.size;
      continue;
    }
    // A bad region: resume at the next index entry past it, if any.
    const resume = index.positions.findIndex((p) => p > pos);
    const resumeOffset = resume >= 0 ? base + index.offsets[resume]! : undefined;
    const toOffset =
      resumeOffset !== undefined ? resumeOffset - 1 : nextBase !== undefined ? nextBase - 1 : expected;
    if (isLast && !sealed && resume < 0) {
      problem0(
        'notice',
        'torn-tail',
        pos,
        expected,
        toOffset,
        `${data.length - pos} bytes at the end of ${name}.log are not a valid batch (truncated when the log is next opened)`,
      );
      return expected;
    }
    problem0(
      'error',
      'corrupt-batch',
      pos,
      expected,
      toOffset,
      `corrupt batch in ${name}.log at byte ${pos}: offsets ${expected}..${toOffset} are unreadable`,
    );
    if (resume < 0) return nextBase ?? expected;
    pos = index.positions[resume]!;
    expected = resumeOffset!;
  }
  if (sealed) {
    index.positions.forEach((p, i) => {
      if (batchStarts.get(p) !== base + index.offsets[i]!) {
        problem0(
          'error',
          'index-mismatch',
          p,
          base + index.offsets[i]!,
          base + index.offsets[i]!,
          `index entry ${i} of ${name} points at byte ${p}, which does not start the batch of offset ${base + index.offsets[i]!}`,
        );
      }
    });
  }
  return expected;
}

function problem(
  severity: 'error' | 'notice',
  kind: VerifyProblem['kind'],
  topic: string,
  partition: number,
  segment: number,
  position: number,
  fromOffset: number,
  toOffset: number,
  message: string,
): VerifyProblem {
  return { severity, kind, topic, partition, segment, position, fromOffset, toOffset, message };
}
