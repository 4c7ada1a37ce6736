/** `rivulet log verify`: checks every segment of a data directory without changing anything. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { type VerifyProblem, type VerifyReport, verifyLog } from '../log/index.ts';
import { EngineError } from '../model/index.ts';
import { exitCodes } from './cli-error.ts';
import { dataDirOption } from './open-log.ts';

interface LogVerifyOptions {
  dataDir: string;
  json?: boolean;
}

/** One line per problem: severity, kind, where (topic/partition, segment file, byte) and the offsets lost. */
export function formatProblem(problem: VerifyProblem): string {
  const segment = `${String(problem.segment).padStart(20, '0')}.log`;
  return (
    `${problem.severity.toUpperCase()} ${problem.kind} ${problem.topic}/${problem.partition} ` +
    `segment ${segment} byte ${problem.position} offsets ${problem.fromOffset}..${problem.toOffset}: ${problem.message}\n`
  );
}

/** The closing summary line of the text output. */
export function formatSummary(report: VerifyReport): string {
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const notices = report.problems.length - errors;
  return (
    `checked ${report.topics} topics, ${report.partitions} partitions, ${report.segments} segments, ` +
    `${report.batches} batches, ${report.records} records, ${report.bytes} bytes: ` +
    `${errors} error${errors === 1 ? '' : 's'}, ${notices} notice${notices === 1 ? '' : 's'}\n`
  );
}

/**
 * Builds the command. Exit code 1 when any problem has severity 'error' (records that cannot be read
 * back), else 0; notices (a torn tail that the next open truncates) do not fail it. It reads the files
 * directly and takes no lock: run it while no process writes to the directory.
 */
export function logVerifyCommand(): Command {
  const command = new Command('verify')
    .description('check the CRC, framing, offsets and indexes of every segment (read-only)')
    .option('--json', 'print the report as one JSON object { topics, ..., problems: [...] }')
    .addHelpText(
      'after',
      '\nExit code 1 when any problem is an error (unreadable records), 0 otherwise.\n' +
        'Run it while no other process writes to the data directory.\n\nExample:\n  rivulet log verify --data-dir ./rivulet-data',
    );
  command.addOption(dataDirOption());
  return command.action((_options: unknown, self: Command) => {
    const options = self.opts<LogVerifyOptions>();
    if (!existsSync(options.dataDir)) {
      throw new EngineError('INVALID_ARGUMENT', `there is no data directory at ${options.dataDir}`, {
        details: { dataDir: options.dataDir },
      });
    }
    const report = verifyLog(options.dataDir);
    if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(report.problems.map(formatProblem).join('') + formatSummary(report));
    if (report.problems.some((p) => p.severity === 'error')) process.exitCode = exitCodes.failure;
  });
}
