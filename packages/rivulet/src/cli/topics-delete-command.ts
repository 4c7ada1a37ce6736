/** `rivulet topics delete <name>`: deletes a topic, its data and its committed group offsets. */
import { Command } from 'commander';
import { addLogOptions, type LogCommandOptions, openExistingLog, withLog } from './open-log.ts';

/** Builds the command; its action prints `deleted topic NAME`. */
export function topicsDeleteCommand(): Command {
  const command = new Command('delete')
    .description('delete a topic with all its records and committed offsets')
    .argument('<name>', 'topic name')
    .addHelpText('after', '\nExample:\n  rivulet topics delete orders');
  addLogOptions(command);
  return command.action(async (name: string, _options: unknown, self: Command) => {
    const options = self.opts<LogCommandOptions>();
    const log = await openExistingLog({ dataDir: options.dataDir, lockWaitMs: options.lockWait }, name);
    await withLog(log, (l) => l.deleteTopic(name));
    process.stdout.write(`deleted topic ${name}\n`);
  });
}
