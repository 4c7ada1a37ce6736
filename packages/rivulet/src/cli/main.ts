/**
 * The `rivulet` command line. `buildProgram()` assembles the commands (one file each); `runCli(argv)`
 * parses and runs them and returns the exit code: 0 on success, 1 when a command failed (an
 * EngineError, bad input lines, a corrupt log), 2 for a usage error (unknown command or option, malformed
 * option value, missing argument). `--help` on any command exits 0. Run directly, this module runs the
 * CLI on process.argv; bin/rivulet.js imports it and calls runCli.
 */
import { realpathSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../package-version.ts';
import { exitCodes, reportError } from './cli-error.ts';
import { consumeCommand } from './consume-command.ts';
import { demoCommand } from './demo-command.ts';
import { diffCommand } from './diff-command.ts';
import { logVerifyCommand } from './log-verify-command.ts';
import { nexmarkGenerateCommand } from './nexmark-generate-command.ts';
import { produceCommand } from './produce-command.ts';
import { reprocessCommand } from './reprocess-command.ts';
import { runCommand } from './run-command.ts';
import { serveCommand } from './serve-command.ts';
import { topicsCreateCommand } from './topics-create-command.ts';
import { topicsDeleteCommand } from './topics-delete-command.ts';
import { topicsDescribeCommand } from './topics-describe-command.ts';
import { topicsListCommand } from './topics-list-command.ts';

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => allCommands(c as Command))];
}

/** The whole command tree, with commander's own exits turned into thrown CommanderErrors. */
export function buildProgram(): Command {
  const program = new Command('rivulet')
    .description('Rivulet: stream processing on an embedded durable event log')
    .version(packageVersion(), '-V, --version');
  program
    .command('topics')
    .description('create, list, describe and delete topics')
    .addCommand(topicsCreateCommand())
    .addCommand(topicsListCommand())
    .addCommand(topicsDescribeCommand())
    .addCommand(topicsDeleteCommand());
  program.addCommand(produceCommand());
  program.addCommand(consumeCommand());
  program.addCommand(runCommand());
  program.addCommand(reprocessCommand());
  program.addCommand(diffCommand());
  program.addCommand(serveCommand());
  program.addCommand(demoCommand());
  program.command('log').description('inspect the log files').addCommand(logVerifyCommand());
  program
    .command('nexmark')
    .description('the Nexmark benchmark: generate its events')
    .addCommand(nexmarkGenerateCommand());
  program.addHelpText(
    'after',
    '\nEvery command takes --data-dir <dir> (default ./rivulet-data, or $RIVULET_DATA_DIR).\n' +
      'Exit codes: 0 ok, 1 the command failed, 2 usage error.',
  );
  for (const command of allCommands(program)) {
    command.exitOverride().showHelpAfterError('(add --help for usage)');
  }
  return program;
}

/** Parses `argv` (node, script, args...) and runs the command; resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exit code 0; everything else commander throws is a usage error.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    return reportError(error, (text) => process.stderr.write(text));
  }
  const code = process.exitCode;
  return typeof code === 'number' ? code : exitCodes.ok;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(import.meta.filename);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runCli(process.argv);
}
