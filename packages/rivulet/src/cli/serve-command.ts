/**
 * `rivulet serve`: serves the embedded log in --data-dir over HTTP and WebSocket (docs/server.md), with
 * the pipelines of the --pipeline modules running on it and, when one is built or given, the dashboard
 * at `/`. The admin token is $RIVULET_TOKEN, else a random one printed once to stderr; the read-only
 * token is $RIVULET_READ_TOKEN (unset: read routes are open). SIGINT/SIGTERM: the pipelines stop
 * gracefully (final checkpoint), the server closes, then the log; exit 0. A pipeline failing does not
 * stop the server (/readyz turns 503 and names it). While a pipeline starts, stores restored from their
 * changelogs show their progress on stderr (a bar on a TTY, else plain lines).
 */
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { createEngine } from '../engine.ts';
import { loadPipelineModule } from '../runtime/index.ts';
import { findDashboardDir, startServer } from '../server/index.ts';
import { dataDirOption } from './open-log.ts';
import { parseNonNegativeInteger, parsePositiveInteger } from './option-parsers.ts';
import { restoreProgressReporter } from './progress-reporter.ts';

interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  pipeline: string[];
  stateDir?: string;
  parallelism?: number;
  dashboardDir?: string;
  allowedHost: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Resolves on the first SIGINT or SIGTERM. */
function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('serve the log over HTTP/WebSocket, run pipelines, and serve the dashboard')
    .addOption(dataDirOption())
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port (0: any free port)').argParser(parseNonNegativeInteger).default(7070),
    )
    .option('--pipeline <module>', "run this module's default-export pipeline (repeatable)", collect, [])
    .option(
      '--state-dir <dir>',
      'keep stores in LMDB under this directory (default: in memory, restored from changelogs)',
    )
    .addOption(
      new Option('--parallelism <n>', 'worker threads running each pipeline (1: in the main thread)')
        .argParser(parsePositiveInteger)
        .default(undefined, 'the number of cores'),
    )
    .option(
      '--allowed-host <name>',
      'also answer requests whose Host header is this name (repeatable; on a loopback address only loopback names are answered otherwise)',
      collect,
      [],
    )
    .option(
      '--dashboard-dir <dir>',
      'directory of the built dashboard (default: packages/dashboard/dist when built)',
    )
    .addHelpText(
      'after',
      '\nEnvironment: RIVULET_TOKEN (admin token; random and printed when unset), RIVULET_READ_TOKEN (read-only token).\n' +
        'Example:\n  rivulet serve --data-dir ./rivulet-data --pipeline examples/stock/pipeline.ts',
    );
  return command.action(async (_options: unknown, self: Command) => {
    const options = self.opts<ServeOptions>();
    let token = process.env.RIVULET_TOKEN;
    if (token === undefined || token === '') {
      token = randomBytes(32).toString('hex');
      process.stderr.write(`admin token: ${token}\n`);
    }
    const readToken = process.env.RIVULET_READ_TOKEN;
    const dashboardDir = options.dashboardDir ?? findDashboardDir();
    const plans = [];
    for (const module of options.pipeline) plans.push({ module, plan: await loadPipelineModule(module) });
    const engine = await createEngine({
      dataDir: options.dataDir,
      ...(options.stateDir === undefined ? {} : { run: { stateDir: options.stateDir } }),
    });
    const stopped = signalled();
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      for (const { module, plan } of plans) {
        const restoring = await restoreProgressReporter({ prefix: `${plan.pipeline}: ` });
        try {
          await engine.run(plan, {
            module,
            ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
            onRestoreProgress: restoring.onRestoreProgress,
          });
        } finally {
          restoring.stop();
        }
        process.stderr.write(`running pipeline ${plan.pipeline} (${module})\n`);
      }
      server = await startServer(engine, {
        host: options.host,
        port: options.port,
        token,
        allowedHosts: options.allowedHost,
        ...(readToken === undefined || readToken === '' ? {} : { readToken }),
        ...(dashboardDir === undefined ? {} : { dashboardDir }),
      });
      process.stderr.write(`listening on ${server.address}\n`);
      if (dashboardDir !== undefined)
        process.stderr.write(`dashboard at ${server.address}/ (from ${dashboardDir})\n`);
      const signal = await stopped;
      process.stderr.write(`${signal}: stopping\n`);
      await Promise.all(engine.runs().map((run) => run.stop()));
    } finally {
      await server?.close();
      await engine.close();
    }
    process.stderr.write('stopped\n');
  });
}
