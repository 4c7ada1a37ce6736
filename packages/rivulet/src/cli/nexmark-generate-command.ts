/**
 * `rivulet nexmark generate`: writes Nexmark events (src/nexmark) to a topic of the embedded log or to a
 * file, so benchmarks and other tools can read the same input.
 *
 * The events are those of `new NexmarkGenerator({ events, rate, seed, splits, baseTime }, k)` for each
 * split k: the same arguments always give the same events.
 * - `--to <topic>`: split k is appended to partition k, in order, as records without a key whose
 *   timestamp is the event's dateTime and whose value is the event as JSON or (`--format binary`) in
 *   nexmarkBinarySerde's layout. A missing topic is created with one partition per split; an existing
 *   one must have exactly that many. Records go in pipelined batches (BatchSender) and count as
 *   appended once acknowledged, i.e. fsynced under the topic's default durability, as with `produce`.
 * - `--out FILE.jsonl`: one JSON object per line, the splits merged by dateTime (ties: lower split
 *   first, each split in its own order). `--out FILE.parquet`: the same rows converted by DuckDB
 *   (`@duckdb/node-api`, an optional peer dependency loaded only here), one column per field of any
 *   event kind, NULL where the kind has no such field. Files are written under a temporary name and
 *   renamed when complete.
 * Progress goes to stderr about once a second, then a summary line (or, with --json, a JSON object on
 * stdout).
 */
import { once } from 'node:events';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Log } from '../log/index.ts';
import { EngineError, type ProducerRecord } from '../model/index.ts';
import {
  DEFAULT_BASE_TIME,
  MergedNexmarkEvents,
  type NexmarkConfig,
  type NexmarkEvent,
  nexmarkBinarySerde,
  nexmarkConfig,
  nexmarkSplits,
} from '../nexmark/index.ts';
import { BatchSender } from './batch-sender.ts';
import { exitCodes } from './cli-error.ts';
import { addLogOptions, type LogCommandOptions, openLog, withLog } from './open-log.ts';
import { parsePositiveInteger, parseTimestamp } from './option-parsers.ts';

type ValueFormat = 'json' | 'binary';

interface GenerateOptions extends LogCommandOptions {
  events: number;
  rate: number;
  seed: number;
  splits: number;
  baseTime: number;
  to?: string;
  out?: string;
  format: ValueFormat;
  json?: boolean;
}

/** What one run wrote: the JSON summary (`--json`). */
export interface GenerateSummary {
  events: number;
  splits: number;
  seed: number;
  rate: number;
  baseTime: number;
  /** The topic (`--to`) or file (`--out`) written. */
  to?: string;
  out?: string;
  format: ValueFormat | 'jsonl' | 'parquet';
  /** `--to`: records appended per partition. */
  partitions?: number[];
  /** `--to`: value bytes appended; `--out`: the file's size. */
  bytes: number;
  seconds: number;
  eventsPerSecond: number;
}

/** Events per second of event time: a number > 0 ('10000', '2.5', '1e6'). */
export function parseRate(value: string): number {
  const n = /^\d+(\.\d+)?(e\d+)?$/i.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of events per second > 0.');
  return n;
}

/** Any safe integer, negative ones included. */
export function parseSeed(value: string): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

/** Epoch ms or ISO-8601 (parseTimestamp), not before 1970. */
export function parseBaseTime(value: string): number {
  const ms = parseTimestamp(value);
  if (ms < 0) throw new InvalidArgumentError('expected a time from 1970 on.');
  return ms;
}

/** A file name ending in .jsonl or .parquet. */
export function parseOutFile(value: string): string {
  if (!/\.(jsonl|parquet)$/i.test(value))
    throw new InvalidArgumentError('expected a file name ending in .jsonl or .parquet.');
  return value;
}

/** Prints progress on stderr at most once a second and times the run. */
class Progress {
  readonly #total: number;
  readonly #started = performance.now();
  #lastReport = this.#started;
  events = 0;
  bytes = 0;

  constructor(total: number) {
    this.#total = total;
  }

  add(events: number, bytes: number): void {
    this.events += events;
    this.bytes += bytes;
    const now = performance.now();
    if (now - this.#lastReport < 1000) return;
    this.#lastReport = now;
    process.stderr.write(
      `generated ${this.events} of ${this.#total} events, ${megabytes(this.bytes)}, ${perSecond(this.events, this.seconds)} events/s\n`,
    );
  }

  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function perSecond(events: number, seconds: number): number {
  return seconds > 0 ? Math.round(events / seconds) : 0;
}

/** Events a `--to` run generates per split before handing them to the sender. */
const TOPIC_CHUNK = 1024;
/** Lines per write of a `--out` run. */
const FILE_CHUNK = 2048;

async function generateToTopic(
  log: Log,
  topic: string,
  config: NexmarkConfig,
  format: ValueFormat,
  progress: Progress,
): Promise<number[]> {
  if (!log.hasTopic(topic)) await log.createTopic(topic, { partitions: config.splits });
  const partitions = log.topicConfig(topic).partitions;
  if (partitions !== config.splits) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `topic '${topic}' has ${partitions} partition${partitions === 1 ? '' : 's'}, but --splits is ${config.splits} (split k goes to partition k)`,
      {
        details: {
          topic,
          hint: `use --splits ${partitions}, or another topic (it is created with one partition per split)`,
        },
      },
    );
  }
  const encode =
    format === 'binary'
      ? (event: NexmarkEvent) => nexmarkBinarySerde.encode(event)
      : (event: NexmarkEvent) => Buffer.from(JSON.stringify(event), 'utf8');
  const sender = new BatchSender(log.createProducer(), topic);
  try {
    await sendSplits(sender, config, encode, progress);
  } catch (error) {
    const appended = sender.appended.reduce((sum, n) => sum + (n ?? 0), 0);
    process.stderr.write(`appended ${appended} records to ${topic} before the failure\n`);
    throw error;
  }
  return Array.from({ length: config.splits }, (_, p) => sender.appended[p] ?? 0);
}

/** Hands each split's events, TOPIC_CHUNK at a time and split after split, to the sender; waits for every send. */
async function sendSplits(
  sender: BatchSender,
  config: NexmarkConfig,
  encode: (event: NexmarkEvent) => Uint8Array,
  progress: Progress,
): Promise<void> {
  const splits = nexmarkSplits(config);
  let more = true;
  while (more && !sender.failed) {
    more = false;
    for (let partition = 0; partition < splits.length && !sender.failed; partition++) {
      const generator = splits[partition]!;
      if (!generator.hasNext()) continue;
      more = true;
      const records: ProducerRecord[] = [];
      let bytes = 0;
      for (let i = 0; i < TOPIC_CHUNK && generator.hasNext(); i++) {
        const event = generator.next();
        const value = encode(event);
        bytes += value.length;
        records.push({ value, timestamp: event.dateTime, partition });
      }
      await sender.add(records, bytes + 32 * records.length);
      progress.add(records.length, bytes);
    }
  }
  await sender.finish();
}

/** Writes the merged events as JSON lines to `path`; resolves with the bytes written. */
async function writeJsonl(path: string, config: NexmarkConfig, progress: Progress): Promise<number> {
  const stream = createWriteStream(path);
  try {
    let lines = '';
    let count = 0;
    let bytes = 0;
    const flush = async (): Promise<void> => {
      // Generator strings are ASCII, but a line's byte count should not depend on that.
      const chunk = Buffer.from(lines, 'utf8');
      bytes += chunk.length;
      progress.add(count, chunk.length);
      lines = '';
      count = 0;
      if (!stream.write(chunk)) await once(stream, 'drain');
    };
    const events = new MergedNexmarkEvents(config);
    for (let event = events.next(); event !== undefined; event = events.next()) {
      lines += `${JSON.stringify(event)}\n`;
      if (++count === FILE_CHUNK) await flush();
    }
    if (count > 0) await flush();
    stream.end();
    await finished(stream);
    return bytes;
  } catch (error) {
    stream.destroy();
    throw error;
  }
}

/** Every field of every event kind, with its DuckDB type (the Parquet schema, in column order). */
const PARQUET_COLUMNS: ReadonlyArray<readonly [string, 'BIGINT' | 'VARCHAR']> = [
  ['type', 'VARCHAR'],
  ['id', 'BIGINT'],
  ['name', 'VARCHAR'],
  ['emailAddress', 'VARCHAR'],
  ['creditCard', 'VARCHAR'],
  ['city', 'VARCHAR'],
  ['state', 'VARCHAR'],
  ['itemName', 'VARCHAR'],
  ['description', 'VARCHAR'],
  ['initialBid', 'BIGINT'],
  ['reserve', 'BIGINT'],
  ['expires', 'BIGINT'],
  ['seller', 'BIGINT'],
  ['category', 'BIGINT'],
  ['auction', 'BIGINT'],
  ['bidder', 'BIGINT'],
  ['price', 'BIGINT'],
  ['channel', 'VARCHAR'],
  ['url', 'VARCHAR'],
  ['dateTime', 'BIGINT'],
  ['extra', 'VARCHAR'],
];

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

type DuckDb = typeof import('@duckdb/node-api');

/** @duckdb/node-api, or MISSING_DEPENDENCY when it is not installed (or its native part does not load). */
async function loadDuckDb(): Promise<DuckDb> {
  try {
    return await import('@duckdb/node-api');
  } catch (error) {
    throw new EngineError(
      'MISSING_DEPENDENCY',
      `writing Parquet needs the optional package @duckdb/node-api, which could not be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      {
        cause: error,
        details: {
          package: '@duckdb/node-api',
          hint: 'npm install @duckdb/node-api (or write --out FILE.jsonl)',
        },
      },
    );
  }
}

/** Converts JSON lines to Parquet; one DuckDB thread, so the same input gives the same file. */
async function jsonlToParquet(duckdb: DuckDb, jsonl: string, parquet: string): Promise<void> {
  const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const connection = await instance.connect();
    try {
      const columns = PARQUET_COLUMNS.map(([name, type]) => `"${name}": '${type}'`).join(', ');
      const names = PARQUET_COLUMNS.map(([name]) => `"${name}"`).join(', ');
      await connection.run(
        `COPY (SELECT ${names} FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited', columns = {${columns}}))
         TO ${sqlString(parquet)} (FORMAT parquet)`,
      );
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Writes `path` (.jsonl or .parquet) under a temporary name, then renames it; returns its size. */
async function generateToFile(path: string, config: NexmarkConfig, progress: Progress): Promise<number> {
  const parquet = path.toLowerCase().endsWith('.parquet');
  // Load DuckDB before generating anything, so a missing one fails at once.
  const duckdb = parquet ? await loadDuckDb() : undefined;
  const temp = `${path}.tmp-${process.pid}`;
  const jsonl = parquet ? `${temp}.jsonl` : temp;
  try {
    await writeJsonl(jsonl, config, progress);
    if (duckdb !== undefined) await jsonlToParquet(duckdb, jsonl, temp);
    await rename(temp, path);
  } finally {
    rmSync(temp, { force: true });
    rmSync(jsonl, { force: true });
  }
  return statSync(path).size;
}

function summaryLine(summary: GenerateSummary): string {
  const where =
    summary.to !== undefined
      ? `to topic ${summary.to} (${summary.format}; ${summary
          .partitions!.map((n, p) => `partition ${p}: ${n}`)
          .join(', ')})`
      : `to ${summary.out}`;
  return (
    `generated ${summary.events} events (seed ${summary.seed}, ${summary.splits} split${summary.splits === 1 ? '' : 's'}) ${where}: ` +
    `${megabytes(summary.bytes)} in ${summary.seconds.toFixed(2)} s, ${summary.eventsPerSecond} events/s\n`
  );
}

const HELP = `
Writes the Nexmark benchmark's events (persons, auctions and bids; see docs/cli.md) to a topic or a
file. The same options always give the same events: --seed fixes the random choices, --base-time the
time of the first event, and event times advance at --rate events per second over all splits.

--to TOPIC: split k goes to partition k, in order: records without a key, timestamp = the event's
dateTime, value = the event as JSON or, with --format binary, in Rivulet's Nexmark binary layout. The
topic is created with one partition per split if missing; an existing one must have as many.
--out FILE.jsonl: one JSON object per line, the splits merged by dateTime (ties: lower split first).
--out FILE.parquet: the same rows as Parquet, one column per field (NULL where the event has no such
field); needs the optional package @duckdb/node-api.

Examples:
  rivulet nexmark generate --events 1000000 --splits 4 --to nexmark
  rivulet nexmark generate --events 1000000 --to nexmark-bin --format binary
  rivulet nexmark generate --events 100000 --seed 7 --out events.parquet`;

/** Builds the command. Exit code 0 when every event was written, 1 on failure, 2 on a usage error. */
export function nexmarkGenerateCommand(): Command {
  const command = new Command('generate')
    .description('write Nexmark benchmark events to a topic or a file')
    .addOption(
      new Option('--events <n>', 'number of events, over all splits (required)')
        .argParser(parsePositiveInteger)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--rate <n>', 'events per second of event time, over all splits')
        .argParser(parseRate)
        .default(10_000),
    )
    .addOption(new Option('--seed <n>', 'seed of every random choice').argParser(parseSeed).default(1))
    .addOption(
      new Option('--splits <n>', 'parallel generators: disjoint ids, one shared timeline')
        .argParser(parsePositiveInteger)
        .default(1),
    )
    .addOption(
      new Option('--base-time <time>', 'event time of the first event (epoch ms or ISO-8601)')
        .argParser(parseBaseTime)
        .default(DEFAULT_BASE_TIME, new Date(DEFAULT_BASE_TIME).toISOString()),
    )
    .addOption(
      new Option('--to <topic>', 'append to this topic (created with one partition per split)').conflicts(
        'out',
      ),
    )
    .addOption(
      new Option('--out <file>', 'write a .jsonl or .parquet file')
        .argParser(parseOutFile)
        .conflicts('format'),
    )
    .addOption(
      new Option('--format <format>', 'with --to: record value format')
        .choices(['json', 'binary'])
        .default('json'),
    )
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText('after', HELP);
  addLogOptions(command);
  return command.action(async (_options: unknown, self: Command) => {
    const options = self.opts<GenerateOptions>();
    if (options.to === undefined && options.out === undefined)
      self.error('error: say where the events go: --to <topic> or --out <file>', {
        code: 'rivulet.missingDestination',
        exitCode: exitCodes.usage,
      });
    const config = nexmarkConfig({
      events: options.events,
      rate: options.rate,
      seed: options.seed,
      splits: options.splits,
      baseTime: options.baseTime,
    });
    const progress = new Progress(config.events);
    let partitions: number[] | undefined;
    let bytes: number;
    if (options.to !== undefined) {
      const topic = options.to;
      if (topic.startsWith('__'))
        throw new EngineError(
          'INVALID_TOPIC_NAME',
          `'${topic}' is an internal topic; records cannot be produced to it`,
          {
            details: { topic },
          },
        );
      const log = await openLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait });
      partitions = await withLog(log, (l) => generateToTopic(l, topic, config, options.format, progress));
      bytes = progress.bytes;
    } else bytes = await generateToFile(options.out!, config, progress);
    const seconds = progress.seconds;
    const summary: GenerateSummary = {
      events: progress.events,
      splits: config.splits,
      seed: config.seed,
      rate: config.rate,
      baseTime: config.baseTime,
      ...(options.to !== undefined
        ? { to: options.to, format: options.format, partitions }
        : {
            out: options.out,
            format: options.out!.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl',
          }),
      bytes,
      seconds,
      eventsPerSecond: perSecond(progress.events, seconds),
    };
    if (options.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stderr.write(summaryLine(summary));
  });
}
