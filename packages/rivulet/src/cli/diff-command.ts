/**
 * `rivulet diff <topicA> <topicB>`: reads both topics whole (every partition, committed data only) and
 * compares them (topic-diff.ts): by default as multisets of (key, value) records; with `--by key` as
 * tables (the latest value per key). Prints the counts and up to --limit example differences, or one
 * JSON object with --json. Exit 0 when they are equal, 1 when they differ (like diff(1)) or on an engine
 * error, 2 on a usage error. Both topics are held in memory.
 */
import { Command, Option } from 'commander';
import type { Log } from '../log/index.ts';
import { exitCodes } from './cli-error.ts';
import { addLogOptions, type LogCommandOptions, openExistingLog, withLog } from './open-log.ts';
import { parseNonNegativeInteger } from './option-parsers.ts';
import { type DiffRecord, diffRecords, diffTables, type RecordsDiff, type TablesDiff } from './topic-diff.ts';

interface DiffOptions extends LogCommandOptions {
  by: 'key-value' | 'key';
  json?: boolean;
  limit: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text for comparing and printing: their UTF-8 text when valid, else `0x` and hex. */
function bytesText(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return `0x${bytes.toString('hex')}`;
  }
}

/** Every committed record of `topic`, partition by partition in offset order. */
export async function readTopic(log: Log, topic: string): Promise<DiffRecord[]> {
  const out: DiffRecord[] = [];
  const { partitions } = log.topicConfig(topic);
  for (let partition = 0; partition < partitions; partition++) {
    const p = log.partition(topic, partition);
    const end = p.committedOffset;
    let offset = p.logStartOffset;
    while (offset < end) {
      const fetched = await log.fetch(topic, partition, offset, undefined, 'committed');
      for (const record of fetched.records) {
        if (record.offset >= end) break;
        out.push({ partition, key: bytesText(record.key), value: bytesText(record.value) });
      }
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
    }
  }
  return out;
}

const HELP = `
By default the topics are compared as multisets of (key, value) records: order, partitions, offsets,
timestamps and headers are ignored. With --by key they are compared as tables: the latest value of each
key (a later record replaces an earlier one; a null value deletes the key; records without a key are
left out). Keys and values are compared byte for byte (shown as UTF-8 text, or 0x<hex> when not UTF-8).
Exit code: 0 when equal, 1 when they differ, 2 on a usage error.

Examples:
  rivulet diff totals totals-v2
  rivulet diff totals totals-v2 --by key --limit 20
  rivulet diff totals totals-v2 --json`;

export function diffCommand(): Command {
  const command = new Command('diff')
    .description('compare the records of two topics (exit 0: equal, 1: different)')
    .argument('<topicA>', 'first topic')
    .argument('<topicB>', 'second topic')
    .addOption(
      new Option('--by <what>', 'key-value: records as a multiset; key: the latest value per key')
        .choices(['key-value', 'key'])
        .default('key-value'),
    )
    .option('--json', 'print the result as one JSON object')
    .addOption(
      new Option('--limit <n>', 'example differences to show').argParser(parseNonNegativeInteger).default(10),
    )
    .addHelpText('after', HELP);
  addLogOptions(command);
  return command.action(async (topicA: string, topicB: string, _options: unknown, self: Command) => {
    const options = self.opts<DiffOptions>();
    const log = await openExistingLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait }, topicA);
    const [a, b] = await withLog(log, async (l) => {
      // Both must exist before anything is read (UNKNOWN_TOPIC names the missing one).
      l.topicConfig(topicA);
      l.topicConfig(topicB);
      return [await readTopic(l, topicA), await readTopic(l, topicB)] as const;
    });
    const result = options.by === 'key' ? diffTables(a, b, options.limit) : diffRecords(a, b, options.limit);
    process.stdout.write(
      options.json === true
        ? `${JSON.stringify({ a: topicA, b: topicB, ...result })}\n`
        : formatDiff(topicA, topicB, result),
    );
    if (!result.equal) process.exitCode = exitCodes.failure;
  });
}

/** A key or value as printed: its text as is, or (null). */
function shown(text: string | null): string {
  return text === null ? '(null)' : text;
}

function formatDiff(topicA: string, topicB: string, result: RecordsDiff | TablesDiff): string {
  const lines: string[] = [];
  if (result.by === 'key-value') {
    lines.push(
      `A ${topicA}: ${result.recordsA} records; B ${topicB}: ${result.recordsB} records (compared as (key, value) multisets)`,
      `  only in A: ${result.onlyInA}`,
      `  only in B: ${result.onlyInB}`,
      `  in both:   ${result.inBoth}`,
    );
    for (const e of result.examples) {
      const copies = e.count > 1 ? ` (x${e.count})` : '';
      lines.push(`${e.side === 'a' ? '<' : '>'} key ${shown(e.key)} value ${shown(e.value)}${copies}`);
    }
    const shownCount = result.examples.length;
    const total = result.onlyInA + result.onlyInB;
    if (shownCount > 0 && total > shownCount) lines.push(`  (first ${shownCount} differing pairs shown)`);
  } else {
    lines.push(
      `A ${topicA}: ${result.keysA} keys; B ${topicB}: ${result.keysB} keys (compared by latest value per key)`,
      `  only in A: ${result.onlyInA}`,
      `  only in B: ${result.onlyInB}`,
      `  different: ${result.different}`,
      `  same:      ${result.same}`,
    );
    for (const e of result.examples) {
      lines.push(`key ${e.key}: < ${e.a ?? '(none)'} > ${e.b ?? '(none)'}`);
    }
    const total = result.onlyInA + result.onlyInB + result.different;
    if (result.examples.length > 0 && total > result.examples.length)
      lines.push(`  (first ${result.examples.length} differing keys shown)`);
  }
  lines.push(result.equal ? 'equal' : 'different');
  return `${lines.join('\n')}\n`;
}
