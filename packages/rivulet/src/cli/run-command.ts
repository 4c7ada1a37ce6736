/**
 * `rivulet run <module>`: runs the pipeline a module exports by default (a DSL Pipeline, or a Plan) on
 * the embedded log in --data-dir, printing a one-line status per second (records in, lag, checkpoints)
 * unless --quiet. While it starts, stores restored from their changelogs show their progress on stderr (a
 * bar on a TTY, else plain lines; not with --quiet). SIGINT/SIGTERM stop it gracefully: a
 * final checkpoint, stores closed, the log closed, exit 0. A processing error stops it with exit 1 and
 * the error naming operator, topic, partition and offset. `.ts` modules are loaded through tsx.
 */
import { Command, Option } from 'commander';
import { createEngine } from '../engine.ts';
import { loadPipelineModule } from '../runtime/index.ts';
import { type RivuletServer, startServer } from '../server/index.ts';
import { dataDirOption } from './open-log.ts';
import { parseDurationMs, parseNonNegativeInteger, parsePositiveInteger } from './option-parsers.ts';
import { restoreProgressReporter } from './progress-reporter.ts';

interface RunOptions {
  dataDir: string;
  guarantee: 'exactly-once' | 'at-least-once';
  commitInterval: number;
  stateDir?: string;
  parallelism?: number;
  http?: number;
  quiet?: boolean;
}

export function runCommand(): Command {
  const command = new Command('run')
    .description('run the pipeline a module exports by default, until SIGINT/SIGTERM')
    .argument('<module>', 'a .ts or .js module whose default export is a pipeline')
    .addOption(dataDirOption())
    .addOption(
      new Option('--guarantee <mode>', 'exactly-once or at-least-once')
        .choices(['exactly-once', 'at-least-once'])
        .default('exactly-once'),
    )
    .addOption(
      new Option('--commit-interval <duration>', 'time between checkpoints')
        .argParser(parseDurationMs)
        .default(100, '100ms'),
    )
    .option(
      '--state-dir <dir>',
      'keep stores in LMDB under this directory (default: in memory, restored from changelogs)',
    )
    .addOption(
      new Option('--parallelism <n>', 'worker threads running the tasks (1: in the main thread)')
        .argParser(parsePositiveInteger)
        .default(undefined, 'the number of cores'),
    )
    .addOption(
      new Option(
        '--http <port>',
        'serve state queries (GET /stores/:name/:key, range scans) on 127.0.0.1:<port> (0: any free port)',
      ).argParser(parseNonNegativeInteger),
    )
    .option('--quiet', 'no status lines')
    .addHelpText('after', '\nExample:\n  rivulet run examples/stock/pipeline.ts --data-dir ./rivulet-data');
  return command.action(async (modulePath: string, _options: unknown, self: Command) => {
    const options = self.opts<RunOptions>();
    const pipeline = await loadPipelineModule(modulePath);
    const engine = await createEngine({
      dataDir: options.dataDir,
      run: {
        guarantee: options.guarantee,
        commitIntervalMs: options.commitInterval,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      },
    });
    const restoring = options.quiet === true ? undefined : await restoreProgressReporter();
    let run: Awaited<ReturnType<typeof engine.run>>;
    try {
      run = await engine.run(pipeline, {
        module: modulePath,
        ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
        ...(restoring === undefined ? {} : { onRestoreProgress: restoring.onRestoreProgress }),
      });
    } catch (error) {
      await engine.close();
      throw error;
    } finally {
      restoring?.stop();
    }
    let server: RivuletServer | undefined;
    if (options.http !== undefined) {
      server = await startServer(engine, { port: options.http });
      process.stderr.write(`serving state queries on ${server.address}\n`);
    }
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void run.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const started = Date.now();
    const timer =
      options.quiet === true
        ? undefined
        : setInterval(() => {
            const s = run.status();
            process.stderr.write(
              `[${((Date.now() - started) / 1000).toFixed(0)}s] ${s.pipeline} ${s.state}: ${s.recordsIn} records in, lag ${s.lag}, ${s.checkpoints} checkpoints, ${s.workers} workers\n`,
            );
          }, 1000);
    try {
      await run.done;
    } finally {
      if (timer !== undefined) clearInterval(timer);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await server?.close();
      await engine.close();
    }
    const s = run.status();
    process.stderr.write(`stopped ${s.pipeline}: ${s.recordsIn} records in, ${s.checkpoints} checkpoints\n`);
  });
}
