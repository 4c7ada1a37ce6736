/**
 * `rivulet consume <topic>`: prints records as JSON lines (see record-line.ts) on stdout.
 *
 * Start: per partition, the group's committed offset when --group has one, else --from-beginning (the
 * first stored offset), --offset N (N, or the first stored offset if N was removed by retention; past the
 * end is OFFSET_OUT_OF_RANGE), --from-time T (the first record with timestamp >= T), or by default the end
 * (only records appended later). Without --follow it stops at the end offsets seen when it started; with
 * --follow it keeps going until SIGINT/SIGTERM. Records of each partition come in offset order; partitions
 * are read round-robin, one fetch at a time. With --group the position of a partition is committed after
 * each batch printed from it, and at exit. A data directory is open in one process at a time, so while
 * following the command closes the log whenever it has read everything, and reopens it every
 * --poll-interval: other processes (`rivulet produce`) can write in between.
 */
import { Command, Option } from 'commander';
import type { Log } from '../log/index.ts';
import { EngineError, sleep } from '../model/index.ts';
import {
  addLogOptions,
  assertTopicDataDir,
  type LogCommandOptions,
  openLogUnlessAborted,
} from './open-log.ts';
import { parseDurationMs, parseNonNegativeInteger, parseTimestamp } from './option-parsers.ts';
import { OutputWriter } from './output-writer.ts';
import { formatRecordLine } from './record-line.ts';

interface ConsumeOptions extends LogCommandOptions {
  fromBeginning?: boolean;
  offset?: number;
  fromTime?: number;
  group?: string;
  follow?: boolean;
  max?: number;
  partition?: number;
  pollInterval: number;
}

type Start = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

/** Reading state of one partition. */
interface Cursor {
  partition: number;
  /** Next offset to print. */
  position: number;
  /** Stop before this offset (the end seen at start), or Infinity when following. */
  end: number;
  /** Last offset committed for the group, if any. */
  committed: number | undefined;
}

function startOf(options: ConsumeOptions): Start {
  if (options.fromBeginning === true) return 'earliest';
  if (options.offset !== undefined) return { offset: options.offset };
  if (options.fromTime !== undefined) return { timestamp: options.fromTime };
  return 'latest';
}

/** Where a partition starts: its committed offset if the group has a usable one, else `start`. */
async function startPosition(
  log: Log,
  topic: string,
  partition: number,
  start: Start,
  committed: number | undefined,
): Promise<number> {
  const p = log.partition(topic, partition);
  if (committed !== undefined && committed >= p.logStartOffset && committed <= p.highWatermark)
    return committed;
  if (start === 'earliest') return p.logStartOffset;
  if (start === 'latest') return p.highWatermark;
  if ('offset' in start) {
    if (start.offset > p.highWatermark) {
      throw new EngineError(
        'OFFSET_OUT_OF_RANGE',
        `--offset ${start.offset} is past the end of ${topic}/${partition}, whose next offset is ${p.highWatermark}`,
        { details: { topic, partition, offset: start.offset, highWatermark: p.highWatermark } },
      );
    }
    return Math.max(start.offset, p.logStartOffset);
  }
  return (await log.offsetForTimestamp(topic, partition, start.timestamp)) ?? p.highWatermark;
}

class ConsumeRun {
  readonly #topic: string;
  readonly #options: ConsumeOptions;
  readonly #out: OutputWriter;
  readonly #signal: AbortSignal;
  #cursors: Cursor[] = [];
  #next = 0;
  printed = 0;
  usedCommitted = false;

  constructor(topic: string, options: ConsumeOptions, out: OutputWriter, signal: AbortSignal) {
    this.#topic = topic;
    this.#options = options;
    this.#out = out;
    this.#signal = signal;
  }

  get #stopped(): boolean {
    const max = this.#options.max;
    return this.#signal.aborted || this.#out.broken || (max !== undefined && this.printed >= max);
  }

  async init(log: Log): Promise<void> {
    const config = log.topicConfig(this.#topic);
    let partitions = [...Array(config.partitions).keys()];
    if (this.#options.partition !== undefined) {
      log.partition(this.#topic, this.#options.partition);
      partitions = [this.#options.partition];
    }
    const start = startOf(this.#options);
    const group = this.#options.group;
    for (const partition of partitions) {
      const committed = group === undefined ? undefined : log.committedOffset(group, this.#topic, partition);
      const position = await startPosition(log, this.#topic, partition, start, committed);
      if (committed !== undefined && position === committed) this.usedCommitted = true;
      const end =
        this.#options.follow === true
          ? Number.POSITIVE_INFINITY
          : log.partition(this.#topic, partition).highWatermark;
      this.#cursors.push({ partition, position, end, committed });
    }
  }

  /** True when there is nothing more to do: stopped, or (without --follow) every partition at its end. */
  get finished(): boolean {
    return this.#stopped || this.#cursors.every((c) => c.position >= c.end);
  }

  /** One fetch per partition, round-robin; prints and commits. Returns whether any position moved. */
  async round(log: Log): Promise<boolean> {
    let progressed = false;
    const count = this.#cursors.length;
    for (let i = 0; i < count && !this.#stopped; i++) {
      const cursor = this.#cursors[(this.#next + i) % count]!;
      if (await this.#readPartition(log, cursor)) progressed = true;
    }
    if (count > 0) this.#next = (this.#next + 1) % count;
    return progressed;
  }

  async #readPartition(log: Log, cursor: Cursor): Promise<boolean> {
    const partition = log.partition(this.#topic, cursor.partition);
    if (cursor.position < partition.logStartOffset) cursor.position = partition.logStartOffset;
    if (cursor.position >= Math.min(cursor.end, partition.highWatermark)) return false;
    const fetched = await log.fetch(this.#topic, cursor.partition, cursor.position);
    const room =
      this.#options.max === undefined ? Number.POSITIVE_INFINITY : this.#options.max - this.printed;
    let text = '';
    let taken = 0;
    let full = false;
    for (const record of fetched.records) {
      if (record.offset >= cursor.end) break;
      if (taken >= room) {
        full = true;
        break;
      }
      text += formatRecordLine(this.#topic, cursor.partition, record);
      taken++;
    }
    const before = cursor.position;
    // Past the last record printed when --max cut the batch short; else past everything fetched (which
    // skips offsets removed by compaction), but never past the end this run stops at.
    if (full) cursor.position = taken > 0 ? fetched.records[taken - 1]!.offset + 1 : before;
    else cursor.position = Math.min(fetched.nextOffset, cursor.end);
    await this.#out.write(text);
    if (this.#out.broken) return false;
    this.printed += taken;
    if (cursor.position === before) return false;
    await this.#commit(log, [cursor]);
    return true;
  }

  async #commit(log: Log, cursors: readonly Cursor[]): Promise<void> {
    const group = this.#options.group;
    if (group === undefined) return;
    const changed = cursors.filter((c) => c.position !== c.committed);
    if (changed.length === 0) return;
    await log.commitOffsets(
      group,
      changed.map((c) => ({ topic: this.#topic, partition: c.partition, offset: c.position })),
    );
    for (const c of changed) c.committed = c.position;
  }

  /** Commits every partition's position (also where nothing was read, so a later run starts there). */
  async commitAll(log: Log): Promise<void> {
    if (!this.#out.broken) await this.#commit(log, this.#cursors);
  }
}

const HELP = `
Output: one JSON object per line on stdout:
  {"topic","partition","offset","timestamp","key","value","headers"}
timestamp is epoch milliseconds; value is the record's value parsed as JSON when it is valid JSON,
else its text (null for a tombstone); headers maps each header name to its text.

Start, per partition: the committed offset of --group if it has one, else --from-beginning, --offset N,
--from-time T, or by default the end (only records appended from now on).
Without --follow the command stops at the end offsets seen when it started.
--follow keeps waiting for records until SIGINT/SIGTERM, then exits with code 0 (committing with --group).
While following it releases the data directory between polls so other processes can write.
--group commits each partition's position after every printed batch and at exit, so the next run with
the same group prints only records it has not printed yet.

Examples:
  rivulet consume orders --from-beginning
  rivulet consume orders --group audit --follow
  rivulet consume orders --partition 2 --offset 100 --max 10
  rivulet consume orders --from-time 2024-05-01T12:00:00Z`;

/** Builds the command. Exit code 0 when it stopped normally (end reached, --max, a signal, closed stdout). */
export function consumeCommand(): Command {
  const command = new Command('consume')
    .description('print records of a topic as JSON lines')
    .argument('<topic>', 'topic to read')
    .addOption(
      new Option('--from-beginning', 'start at the first stored offset').conflicts(['offset', 'fromTime']),
    )
    .addOption(
      new Option('--offset <n>', 'start at this offset (in every partition read)')
        .argParser(parseNonNegativeInteger)
        .conflicts(['fromTime']),
    )
    .addOption(
      new Option(
        '--from-time <time>',
        'start at the first record with timestamp >= this (ISO-8601 or epoch ms)',
      ).argParser(parseTimestamp),
    )
    .option('--group <name>', 'consumer group: start at its committed offsets and commit progress')
    .option('--follow', 'keep waiting for new records until SIGINT/SIGTERM')
    .addOption(
      new Option('--max <n>', 'stop after printing this many records').argParser(parseNonNegativeInteger),
    )
    .addOption(new Option('--partition <n>', 'read only this partition').argParser(parseNonNegativeInteger))
    .addOption(
      new Option('--poll-interval <duration>', 'with --follow: how often to look for new records')
        .argParser(parseDurationMs)
        .default(500, '500ms'),
    )
    .addHelpText('after', HELP);
  addLogOptions(command);
  return command.action(async (topic: string, _options: unknown, self: Command) => {
    const options = self.opts<ConsumeOptions>();
    if (options.group === '') throw new EngineError('INVALID_ARGUMENT', 'the group name must not be empty');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const out = new OutputWriter(process.stdout);
    try {
      const run = await consume(topic, options, out, stop.signal);
      if (out.error !== undefined) throw out.error;
      if (
        run.printed === 0 &&
        options.follow !== true &&
        startOf(options) === 'latest' &&
        !run.usedCommitted
      ) {
        process.stderr.write(
          'no records printed: consume starts at the end of each partition unless --from-beginning, --offset or --from-time is given\n',
        );
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      out.close();
    }
  });
}

async function consume(
  topic: string,
  options: ConsumeOptions,
  out: OutputWriter,
  signal: AbortSignal,
): Promise<ConsumeRun> {
  const run = new ConsumeRun(topic, options, out, signal);
  assertTopicDataDir(options.dataDir, topic);
  let log = await openLogUnlessAborted({ dataDir: options.dataDir, lockWaitMs: options.lockWait, signal });
  if (log === undefined) return run;
  try {
    await run.init(log);
    while (!run.finished) {
      if (await run.round(log)) continue;
      if (options.follow !== true) break;
      // Caught up: nobody else can write while we hold the log, so let go of it for a while.
      await run.commitAll(log);
      const closing = log;
      log = undefined;
      await closing.close();
      await sleep(options.pollInterval, signal);
      assertTopicDataDir(options.dataDir, topic);
      log = await openLogUnlessAborted({
        dataDir: options.dataDir,
        lockWaitMs: Number.POSITIVE_INFINITY,
        signal,
      });
      if (log === undefined) break;
      log.topicConfig(topic);
    }
    if (log !== undefined) await run.commitAll(log);
  } finally {
    await log?.close();
  }
  return run;
}
