/** `rivulet topics describe <name>`: a topic's configuration and the offsets and size of each partition. */
import { Command } from 'commander';
import { formatDurability, type TopicDescription } from '../log/index.ts';
import { addLogOptions, type LogCommandOptions, openExistingLog, withLog } from './open-log.ts';

interface TopicsDescribeOptions extends LogCommandOptions {
  json?: boolean;
}

const units: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as the shortest duration string parseDuration reads back: 604800000 -> '7d', 5400000 -> '1h30m'. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0ms';
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/**
 * The JSON form of a description: the resolved config with durability as its flag text
 * ('interval(100ms)') and absent limits as null, then one entry per partition.
 */
export function describeJson(description: TopicDescription): unknown {
  const { config, partitions } = description;
  return {
    config: {
      ...config,
      durability: formatDurability(config.durability),
      retentionMs: config.retentionMs ?? null,
      retentionBytes: config.retentionBytes ?? null,
    },
    partitions,
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/** The text form: a `key  value` block for the config, then a table of partitions. */
export function describeText(description: TopicDescription): string {
  const { config, partitions } = description;
  const settings = table([
    ['topic', config.name],
    ['partitions', String(config.partitions)],
    ['durability', formatDurability(config.durability)],
    ['cleanup', config.cleanup],
    ['retention time', config.retentionMs === undefined ? 'none' : formatDuration(config.retentionMs)],
    ['retention bytes', config.retentionBytes === undefined ? 'none' : String(config.retentionBytes)],
    ['compression', config.compression],
    ['segment bytes', String(config.segmentBytes)],
    ['max record bytes', String(config.maxRecordBytes)],
    ...(config.cleanup === 'compact'
      ? [['tombstone retention', formatDuration(config.tombstoneRetentionMs)] as const]
      : []),
  ]);
  const rows: string[][] = [['PARTITION', 'START', 'END', 'SIZE_BYTES', 'SEGMENTS', 'STATUS']];
  for (const p of partitions) {
    rows.push([
      String(p.partition),
      String(p.logStartOffset),
      String(p.highWatermark),
      String(p.sizeBytes),
      String(p.segments),
      p.failure === undefined ? 'ok' : `FAILED ${p.failure.code}: ${p.failure.message}`,
    ]);
  }
  return `${settings}\n${table(rows)}`;
}

/** Builds the command. START is the first offset still stored, END the next offset to be written. */
export function topicsDescribeCommand(): Command {
  const command = new Command('describe')
    .description("show a topic's configuration and each partition's offsets, size and segments")
    .argument('<name>', 'topic name')
    .option('--json', 'print one JSON object { config, partitions }')
    .addHelpText(
      'after',
      '\nSTART is the first offset still stored, END the offset the next record gets.\n\nExample:\n  rivulet topics describe orders --json',
    );
  addLogOptions(command);
  return command.action(async (name: string, _options: unknown, self: Command) => {
    const options = self.opts<TopicsDescribeOptions>();
    const log = await openExistingLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait }, name);
    const description = await withLog(log, (l) => l.describeTopic(name));
    process.stdout.write(
      options.json === true ? `${JSON.stringify(describeJson(description))}\n` : describeText(description),
    );
  });
}
