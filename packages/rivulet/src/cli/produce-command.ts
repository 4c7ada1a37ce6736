/**
 * `rivulet produce <topic>`: appends JSON lines from stdin, one record per line.
 *
 * Bad-input policy. A line is bad when it is not JSON (INVALID_JSON), when --key is given and the line
 * is not an object whose field is a string, number or boolean (INVALID_RECORD), or when the record would
 * exceed the topic's size limit (RECORD_TOO_LARGE). Each bad line is reported on stderr as
 * `line N: CODE: message`. Blank lines are ignored. By default good lines are appended as they stream
 * in and bad ones are skipped; the exit code is 1 if any line was bad. With --all-or-nothing the whole
 * input is read and checked first and nothing is appended if any line is bad (exit code 1). A summary of
 * the records appended per partition goes to stderr in every case.
 */
import { Command, Option } from 'commander';
import type { Log } from '../log/index.ts';
import { EngineError, type ProducerRecord } from '../model/index.ts';
import { BatchSender } from './batch-sender.ts';
import { exitCodes } from './cli-error.ts';
import { type BadLine, type LineRecordOptions, parseLineRecord } from './line-record.ts';
import { addLogOptions, type LogCommandOptions, openExistingLog, openLog, withLog } from './open-log.ts';
import { parseNonNegativeInteger } from './option-parsers.ts';
import { readLines } from './read-lines.ts';

interface ProduceOptions extends LogCommandOptions {
  key?: string;
  partition?: number;
  create?: boolean;
  allOrNothing?: boolean;
}

/** What one `produce` run did; `appended[p]` counts the records acknowledged on partition p. */
export interface ProduceOutcome {
  appended: number[];
  badLines: number;
}

const POLICY_HELP = `
Input: one JSON value per line on stdin. The record value is the line's JSON, re-serialised compactly;
with --key FIELD the key is that top-level field (a string as is, a number or boolean as its JSON text).
Records with a key go to partition murmur2(key) % partitions; without one, each batch goes to the next
partition in turn. Blank lines are ignored.

Bad lines are reported on stderr as "line N: CODE: message" with CODE one of:
  INVALID_JSON      the line is not JSON
  INVALID_RECORD    --key is given and the line is not an object with that field as string/number/boolean
  RECORD_TOO_LARGE  the record would exceed the topic's max record bytes
Default: good lines are appended, bad lines are skipped, and the exit code is 1 if any line was bad.
--all-or-nothing: the whole input is read and checked first; if any line is bad nothing is appended
(exit code 1). A summary of the records appended per partition is printed on stderr.

Example:
  cat orders.jsonl | rivulet produce orders --key customerId`;

function reportBadLine(bad: BadLine): void {
  process.stderr.write(`line ${bad.line}: ${bad.code}: ${bad.message}\n`);
}

/** The stderr summary: `appended N records to TOPIC (partition 0: a, partition 2: b)`. */
export function formatProduceSummary(topic: string, outcome: ProduceOutcome, allOrNothing: boolean): string {
  const total = outcome.appended.reduce((sum, n) => sum + (n ?? 0), 0);
  const parts: string[] = [];
  outcome.appended.forEach((n, p) => {
    if (n !== undefined && n > 0) parts.push(`partition ${p}: ${n}`);
  });
  let text = `appended ${total} record${total === 1 ? '' : 's'} to ${topic}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}\n`;
  if (outcome.badLines > 0) {
    const lines = `${outcome.badLines} bad line${outcome.badLines === 1 ? '' : 's'}`;
    text += allOrNothing ? `${lines}: nothing appended (--all-or-nothing)\n` : `${lines} skipped\n`;
  }
  return text;
}

/** Approximate bytes of a record, for batching. */
function recordBytes(record: ProducerRecord): number {
  return (typeof record.value === 'string' ? record.value.length : 0) + 32;
}

/**
 * Appends the batches `source` yields with one pipelined sender, stopping at the first failed send. On
 * an error the summary of what was appended so far goes to stderr before the error is rethrown.
 * `badLines` is read after the source is drained (the streaming source counts as it goes).
 */
async function sendBatches(
  log: Log,
  topic: string,
  source: AsyncIterable<ProducerRecord[]> | Iterable<ProducerRecord[]>,
  badLines: () => number,
  allOrNothing: boolean,
): Promise<ProduceOutcome> {
  const sender = new BatchSender(log.createProducer(), topic);
  try {
    for await (const records of source) {
      if (records.length > 0)
        await sender.add(
          records,
          records.reduce((sum, r) => sum + recordBytes(r), 0),
        );
      if (sender.failed) break;
    }
    await sender.finish();
  } catch (error) {
    process.stderr.write(
      formatProduceSummary(topic, { appended: sender.appended, badLines: badLines() }, allOrNothing),
    );
    throw error;
  }
  return { appended: sender.appended, badLines: badLines() };
}

/** Parses input lines as they arrive; yields the good records of each chunk, reports the bad ones. */
async function* parsedRecords(
  input: AsyncIterable<Buffer | string>,
  lineOptions: LineRecordOptions,
  onBad: () => void,
): AsyncGenerator<ProducerRecord[]> {
  for await (const lines of readLines(input)) {
    const records: ProducerRecord[] = [];
    for (const line of lines) {
      if (line.text.trim() === '') continue;
      const result = parseLineRecord(line, lineOptions);
      if (result.bad !== undefined) {
        onBad();
        reportBadLine(result.bad);
      } else records.push(result.record);
    }
    yield records;
  }
}

async function produceStreaming(
  log: Log,
  topic: string,
  lineOptions: LineRecordOptions,
  input: AsyncIterable<Buffer | string>,
): Promise<ProduceOutcome> {
  let badLines = 0;
  const source = parsedRecords(input, lineOptions, () => {
    badLines++;
  });
  return sendBatches(log, topic, source, () => badLines, false);
}

async function produceAllOrNothing(
  log: Log,
  topic: string,
  lineOptions: LineRecordOptions,
  input: AsyncIterable<Buffer | string>,
): Promise<ProduceOutcome> {
  const records: ProducerRecord[] = [];
  let badLines = 0;
  for await (const chunk of parsedRecords(input, lineOptions, () => {
    badLines++;
  })) {
    if (badLines === 0) records.push(...chunk);
  }
  if (badLines > 0) return { appended: [], badLines };
  const chunks: ProducerRecord[][] = [];
  for (let i = 0; i < records.length; i += 2000) chunks.push(records.slice(i, i + 2000));
  return sendBatches(log, topic, chunks, () => badLines, true);
}

/** Builds the command. Exit code 0 when every line was appended, 1 when any line was bad. */
export function produceCommand(): Command {
  const command = new Command('produce')
    .description('append JSON lines from stdin to a topic, one record per line')
    .argument('<topic>', 'topic to append to')
    .option('--key <field>', "use this top-level field of each line's object as the record key")
    .addOption(
      new Option('--partition <n>', 'append every record to this partition').argParser(
        parseNonNegativeInteger,
      ),
    )
    .option('--create', 'create the topic (default configuration) if it does not exist')
    .option('--all-or-nothing', 'read and check the whole input first; append nothing if any line is bad')
    .addHelpText('after', POLICY_HELP);
  addLogOptions(command);
  return command.action(async (topic: string, _options: unknown, self: Command) => {
    const options = self.opts<ProduceOptions>();
    if (topic.startsWith('__')) {
      throw new EngineError(
        'INVALID_TOPIC_NAME',
        `'${topic}' is an internal topic; records cannot be produced to it`,
        {
          details: { topic },
        },
      );
    }
    const openOptions = { dataDir: options.dataDir, lockWaitMs: options.lockWait };
    const log =
      options.create === true ? await openLog(openOptions) : await openExistingLog(openOptions, topic);
    const allOrNothing = options.allOrNothing === true;
    const outcome = await withLog(log, async (l) => {
      if (options.create === true && !l.hasTopic(topic)) await l.createTopic(topic);
      const config = l.topicConfig(topic);
      if (options.partition !== undefined) l.partition(topic, options.partition);
      const lineOptions: LineRecordOptions = {
        keyField: options.key,
        partition: options.partition,
        maxRecordBytes: config.maxRecordBytes,
      };
      return allOrNothing
        ? produceAllOrNothing(l, topic, lineOptions, process.stdin)
        : produceStreaming(l, topic, lineOptions, process.stdin);
    });
    process.stderr.write(formatProduceSummary(topic, outcome, allOrNothing));
    if (outcome.badLines > 0) process.exitCode = exitCodes.failure;
  });
}
