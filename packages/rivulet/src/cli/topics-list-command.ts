/** `rivulet topics list`: the topics of a data directory, one name per line (or JSON). */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { addLogOptions, type LogCommandOptions, openLog, withLog } from './open-log.ts';

interface TopicsListOptions extends LogCommandOptions {
  json?: boolean;
  internal?: boolean;
}

/** One entry of `topics list --json`. */
export interface TopicListing {
  name: string;
  partitions: number;
}

/**
 * Builds the command. Text output: one topic name per line, sorted. `--json`: one JSON array of
 * `{ name, partitions }`. A data directory that does not exist has no topics (and is not created).
 */
export function topicsListCommand(): Command {
  const command = new Command('list')
    .description('list topics')
    .option('--json', 'print a JSON array of { name, partitions }')
    .option('--internal', 'include internal topics (names starting with __)')
    .addHelpText('after', '\nExample:\n  rivulet topics list --json');
  addLogOptions(command);
  return command.action(async (_options: unknown, self: Command) => {
    const options = self.opts<TopicsListOptions>();
    let topics: TopicListing[] = [];
    if (existsSync(options.dataDir)) {
      const log = await openLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait });
      topics = await withLog(log, (l) =>
        l
          .listTopics({ internal: options.internal === true })
          .map((name) => ({ name, partitions: l.topicConfig(name).partitions })),
      );
    }
    if (options.json === true) process.stdout.write(`${JSON.stringify(topics)}\n`);
    else process.stdout.write(topics.map((t) => `${t.name}\n`).join(''));
  });
}
