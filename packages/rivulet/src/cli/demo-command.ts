/**
 * `rivulet demo`: the S1 scenario end to end on a fresh embedded log (src/demo/run-demo.ts): generated
 * travel-site visits through the "distinct visitors in the last 30 minutes" pipeline with its threshold
 * alert and late-visit output.
 * - `--no-ui`: produces --events visits (default 200,000), waits until every one is processed, stops,
 *   and prints the summary (windows, alerts up and down with their windows, late visits, time, visits/s)
 *   on stdout, or with --json as one JSON object. Progress goes to stderr: a bar on a TTY, else a line
 *   every 10%.
 * - default (UI): starts the HTTP API and the dashboard, prints their URL and the admin token on
 *   stderr, and produces --rate visits per second of wall time (until --events, if given) until
 *   SIGINT/SIGTERM; then stops gracefully and prints the summary.
 * The data directory defaults to a temp directory deleted at the end; --data-dir keeps it (it must be
 * new or empty). Exit 0 on success, 1 if the pipeline fails.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { type DemoSummary, runDemo } from '../demo/index.ts';
import { parseNonNegativeInteger, parsePositiveInteger } from './option-parsers.ts';

interface DemoCommandOptions {
  events?: number;
  rate: number;
  threshold: number;
  seed: number;
  ui: boolean;
  port: number;
  dataDir?: string;
  json?: boolean;
}

const HEADLESS_EVENTS = 200_000;

function parseSeed(value: string): number {
  const n = parseNonNegativeInteger(value);
  if (n > 0xffff_ffff) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295.');
  return n;
}

function parsePort(value: string): number {
  const n = parseNonNegativeInteger(value);
  if (n > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535.');
  return n;
}

export function demoCommand(): Command {
  const command = new Command('demo')
    .description(
      'run the S1 demo: visitors in the last 30 minutes with a threshold alert, on generated visits',
    )
    .addOption(
      new Option(
        '--events <n>',
        'visits to produce (default: 200000 with --no-ui, else until Ctrl-C)',
      ).argParser(parseNonNegativeInteger),
    )
    .addOption(
      new Option('--rate <r>', 'with the UI: visits per second of wall time')
        .argParser(parsePositiveInteger)
        .default(2_000),
    )
    .addOption(
      new Option('--threshold <t>', 'alert when the distinct visitors of 30 minutes cross this')
        .argParser(parsePositiveInteger)
        .default(6_000),
    )
    .addOption(new Option('--seed <s>', 'seed of the generated visits').argParser(parseSeed).default(42))
    .option('--no-ui', 'no server or dashboard: process --events visits, print the summary, exit')
    .addOption(
      new Option('--port <p>', 'HTTP port of the UI (0: any free port)').argParser(parsePort).default(0),
    )
    .option(
      '--data-dir <dir>',
      'keep the log in this new or empty directory (default: a temp directory, deleted)',
    )
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  rivulet demo --no-ui              # 200,000 visits, then the summary\n  rivulet demo                      # the dashboard, until Ctrl-C',
    );
  return command.action(async (_options: unknown, self: Command) => {
    const options = self.opts<DemoCommandOptions>();
    const events = options.events ?? (options.ui ? undefined : HEADLESS_EVENTS);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const progress = await progressReporter(events, options.ui);
    let summary: DemoSummary;
    try {
      summary = await runDemo({
        events,
        ui: options.ui,
        rate: options.rate,
        threshold: options.threshold,
        seed: options.seed,
        port: options.port,
        signal: abort.signal,
        onProgress: progress.update,
        onServer: ({ url, token, dashboard }) => {
          progress.log(
            (dashboard
              ? `rivulet demo: dashboard on ${url}/ (API under ${url}/api)\n`
              : `rivulet demo: API on ${url}/api (no dashboard: build it with npm run build -w @rivulet/dashboard)\n`) +
              `admin token: ${token}\nproducing ${options.rate} visits/s; Ctrl-C stops\n`,
          );
        },
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      });
    } finally {
      progress.stop();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    process.stdout.write(options.json === true ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  });
}

interface ProgressReporter {
  update(produced: number, total: number | undefined): void;
  /** Writes a message on stderr without breaking the bar. */
  log(text: string): void;
  stop(): void;
}

/**
 * Progress on stderr: a cli-progress bar on a TTY (when the package loads), else a line per 10% of
 * `total`, or every 10 s when there is no total.
 */
async function progressReporter(total: number | undefined, ui: boolean): Promise<ProgressReporter> {
  const started = performance.now();
  if (process.stderr.isTTY && total !== undefined && !ui) {
    const bar = await loadBar();
    if (bar !== undefined) {
      bar.start(total, 0);
      return {
        update: (produced) => bar.update(produced),
        log: (text) => process.stderr.write(text),
        stop: () => bar.stop(),
      };
    }
  }
  let next = 0;
  return {
    update(produced) {
      const seconds = (performance.now() - started) / 1000;
      if (total !== undefined) {
        if (produced < next && produced < total) return;
        const percent = total === 0 ? 100 : Math.floor((produced / total) * 100);
        process.stderr.write(
          `[${seconds.toFixed(1)}s] ${produced} of ${total} visits produced (${percent}%)\n`,
        );
        next = Math.min(total, Math.floor(produced / (total / 10) + 1) * (total / 10));
      } else if (seconds >= next) {
        process.stderr.write(`[${seconds.toFixed(0)}s] ${produced} visits produced\n`);
        next = seconds + 10;
      }
    },
    log: (text) => process.stderr.write(text),
    stop: () => undefined,
  };
}

interface Bar {
  start(total: number, value: number): void;
  update(value: number): void;
  stop(): void;
}

/** cli-progress, or undefined when it is not installed (the plain lines are used then). */
async function loadBar(): Promise<Bar | undefined> {
  try {
    const { default: progress } = await import('cli-progress');
    return new progress.SingleBar(
      { format: 'visits [{bar}] {percentage}% | {value}/{total} | {duration}s', stream: process.stderr },
      progress.Presets.shades_classic,
    );
  } catch {
    return undefined;
  }
}

function formatSummary(s: DemoSummary): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = [
    `rivulet demo: ${n(s.events)} visits (seed ${s.seed}) through the S1 pipeline in ${(s.elapsedMs / 1000).toFixed(1)} s (${n(s.eventsPerSecond)} visits/s)`,
    `  windows emitted  ${n(s.windows)} (distinct visitors in the last 30 minutes, one per minute of event time)`,
    `  alerts           ${n(s.alerts.up + s.alerts.down)} (${s.alerts.up} up, ${s.alerts.down} down) at threshold ${n(s.threshold)}`,
    ...s.alerts.list.map(
      (a) =>
        `    ${a.direction.padEnd(4)} ${n(a.value).padStart(7)} visitors in the 30 minutes to ${new Date(a.windowEnd).toISOString()}`,
    ),
    `  late visits      ${n(s.lateRecords)} (sent to 'late-visits', after their windows closed)`,
  ];
  if (s.dataDir !== null) lines.push(`  data directory   ${s.dataDir}`);
  return `${lines.join('\n')}\n`;
}
