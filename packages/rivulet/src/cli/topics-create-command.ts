/** `rivulet topics create <name>`: creates a topic with the given configuration. */
import { Command, Option } from 'commander';
import {
  type Compression,
  type DurabilityOptions,
  formatDurability,
  type TopicOptions,
} from '../log/index.ts';
import { addLogOptions, type LogCommandOptions, openLog, withLog } from './open-log.ts';
import { parseDurability, parseDurationMs, parsePositiveInteger } from './option-parsers.ts';

interface TopicsCreateOptions extends LogCommandOptions {
  partitions: number;
  durability?: DurabilityOptions;
  cleanup?: 'delete' | 'compact';
  retentionTime?: number;
  retentionBytes?: number;
  compression?: Compression;
  segmentBytes?: number;
}

/** Builds the command; its action prints one line describing the created topic. */
export function topicsCreateCommand(): Command {
  const command = new Command('create')
    .description('create a topic')
    .argument('<name>', 'topic name: 1-249 characters from A-Z a-z 0-9 . _ -')
    .addOption(
      new Option('--partitions <n>', 'number of partitions').argParser(parsePositiveInteger).default(1),
    )
    .addOption(
      new Option(
        '--durability <mode>',
        'when an append is acknowledged: fsync (after fdatasync), none (after write), interval(100ms)',
      ).argParser(parseDurability),
    )
    .addOption(
      new Option(
        '--cleanup <policy>',
        'delete old segments by retention, or compact to the latest record per key',
      ).choices(['delete', 'compact']),
    )
    .addOption(
      new Option('--retention-time <duration>', 'delete segments older than this, e.g. 7d, 12h').argParser(
        parseDurationMs,
      ),
    )
    .addOption(
      new Option(
        '--retention-bytes <n>',
        'delete the oldest segments past this size per partition',
      ).argParser(parsePositiveInteger),
    )
    .addOption(new Option('--compression <codec>', 'batch compression').choices(['none', 'gzip', 'zstd']))
    .addOption(
      new Option(
        '--segment-bytes <n>',
        'size at which a segment file is sealed and a new one started',
      ).argParser(parsePositiveInteger),
    )
    .addHelpText('after', '\nExample:\n  rivulet topics create orders --partitions 3 --retention-time 7d');
  addLogOptions(command);
  return command.action(async (name: string, _options: unknown, self: Command) => {
    const options = self.opts<TopicsCreateOptions>();
    const topicOptions: TopicOptions = { partitions: options.partitions };
    if (options.durability !== undefined) topicOptions.durability = options.durability;
    if (options.cleanup !== undefined) topicOptions.cleanup = options.cleanup;
    if (options.compression !== undefined) topicOptions.compression = options.compression;
    if (options.segmentBytes !== undefined) topicOptions.segmentBytes = options.segmentBytes;
    if (options.retentionTime !== undefined || options.retentionBytes !== undefined) {
      topicOptions.retention = {};
      if (options.retentionTime !== undefined) topicOptions.retention.time = options.retentionTime;
      if (options.retentionBytes !== undefined) topicOptions.retention.bytes = options.retentionBytes;
    }
    const log = await openLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait });
    const config = await withLog(log, (l) => l.createTopic(name, topicOptions));
    process.stdout.write(
      `created topic ${config.name}: ${config.partitions} partition${config.partitions === 1 ? '' : 's'}, ` +
        `durability ${formatDurability(config.durability)}, cleanup ${config.cleanup}, compression ${config.compression}\n`,
    );
  });
}
