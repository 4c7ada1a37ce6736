/**
 * Benchmark dispatcher: `npm run bench -- <suite> [--json] [--repeat N] [--quick] [--scale F]`.
 * Prints the machine and the load average before and after (the machines are shared), then the suite's
 * medians as a table, or with `--json` one JSON object per result on stdout (DESIGN.md §7) with the
 * machine, load and bar verdicts on stderr. Progress goes to stderr only: a bar on a terminal
 * (bench/progress-bar.ts), else the suite's plain progress lines. Exits 1 on a bad command line or a failed suite; a missed
 * bar is reported, not an error.
 */
import { parseCliOptions, USAGE } from './cli-options.ts';
import { connectorsSuite } from './connectors/connectors-suite.ts';
import { joinsSuite } from './joins/joins-suite.ts';
import { logSuite } from './log/log-suite.ts';
import { loadAverage, machineInfo } from './machine-info.ts';
import { nexmarkSuite } from './nexmark/nexmark-suite.ts';
import { createProgress } from './progress-bar.ts';
import { barLines, humanReport, machineLines, resultJson } from './report-printer.ts';
import { runtimeSuite } from './runtime/runtime-suite.ts';
import type { Suite } from './suite.ts';
import { windowsSuite } from './windows/windows-suite.ts';

/** Every suite by name: adding a suite is one line here. */
const suites: readonly Suite[] = [
  logSuite,
  runtimeSuite,
  windowsSuite,
  joinsSuite,
  nexmarkSuite,
  connectorsSuite,
];

async function main(): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const suiteList = suites.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join('\n');
  if (options.help || options.suite === undefined) {
    process.stderr.write(`${USAGE}\nsuites:\n${suiteList}\n`);
    return options.help ? 0 : 1;
  }
  const suite = suites.find((s) => s.name === options.suite);
  if (suite === undefined) {
    process.stderr.write(`unknown suite '${options.suite}'\nsuites:\n${suiteList}\n`);
    return 1;
  }
  // Human-facing lines go to stdout in table mode and to stderr in JSON mode.
  const info = (line: string): void => {
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  for (const line of machineLines(machineInfo())) info(line);
  info(`command: npm run bench -- ${process.argv.slice(2).join(' ')}`);
  info(`load average before: ${loadAverage()}`);
  const started = performance.now();
  const plain = (line: string): void => {
    process.stderr.write(`  ${line}\n`);
  };
  // The nexmark suite counts its cases up front and draws its own bar over them; every other suite's
  // progress lines are its steps, shown as a bar on a terminal.
  const progress = suite === nexmarkSuite ? undefined : createProgress(undefined, plain, suite.name);
  let report: Awaited<ReturnType<Suite['run']>>;
  try {
    report = await suite.run({
      repeat: options.repeat,
      quick: options.quick,
      scale: options.scale,
      progress: progress === undefined ? plain : (line) => progress.step(line),
    });
  } finally {
    progress?.stop();
  }
  info(`load average after:  ${loadAverage()}`);
  info(
    `suite '${suite.name}' took ${((performance.now() - started) / 1000).toFixed(1)} s, ${options.repeat} repeat(s)`,
  );
  if (options.json) {
    for (const result of report.results) process.stdout.write(`${resultJson(result)}\n`);
    for (const line of barLines(report.bars)) info(line);
  } else {
    info('');
    for (const line of humanReport(report)) info(line);
  }
  return 0;
}

// A closed stdout (e.g. `| head`) ends the run quietly instead of with an EPIPE stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
