/**
 * `rivulet run <module>`: runs the pipeline a module exports by default (a DSL Pipeline, or a Plan) on
 * the embedded log in --data-dir, printing a one-line status per second (records in, lag, checkpoints)
 * unless --quiet. SIGINT/SIGTERM stop it gracefully: a
 * final checkpoint, stores closed, the log closed, exit 0. A processing error stops it with exit 1 and
 * the error naming operator, topic, partition and offset. `.ts` modules are loaded through tsx.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { createEngine } from '../engine.ts';
import { EngineError } from '../model/index.ts';
import type { Plan } from '../plan/index.ts';
import { dataDirOption } from './open-log.ts';
import { parseDurationMs } from './option-parsers.ts';

interface RunOptions {
  dataDir: string;
  guarantee: 'exactly-once' | 'at-least-once';
  commitInterval: number;
  stateDir?: string;
  quiet?: boolean;
}

async function loadPipeline(modulePath: string): Promise<Plan | { plan(): Plan }> {
  const url = pathToFileURL(resolve(modulePath)).href;
  if (/\.[cm]?ts$/.test(modulePath)) {
    try {
      const { register } = (await import('tsx/esm/api')) as { register: () => void };
      register();
    } catch {
      // Without tsx a .ts module can still load on a Node that strips types itself.
    }
  }
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new EngineError('INVALID_ARGUMENT', `cannot load ${modulePath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const exported = module.default;
  const isPipeline =
    typeof exported === 'object' &&
    exported !== null &&
    typeof (exported as { plan?: unknown }).plan === 'function';
  const isPlan =
    typeof exported === 'object' &&
    exported !== null &&
    Array.isArray((exported as { nodes?: unknown }).nodes);
  if (!isPipeline && !isPlan) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${modulePath} must export a pipeline as its default export (export default pipeline('name')...)`,
    );
  }
  return exported as Plan | { plan(): Plan };
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
    .option('--quiet', 'no status lines')
    .addHelpText('after', '\nExample:\n  rivulet run examples/stock/pipeline.ts --data-dir ./rivulet-data');
  return command.action(async (modulePath: string, _options: unknown, self: Command) => {
    const options = self.opts<RunOptions>();
    const pipeline = await loadPipeline(modulePath);
    const engine = await createEngine({
      dataDir: options.dataDir,
      run: {
        guarantee: options.guarantee,
        commitIntervalMs: options.commitInterval,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      },
    });
    let run: Awaited<ReturnType<typeof engine.run>>;
    try {
      run = await engine.run(pipeline);
    } catch (error) {
      await engine.close();
      throw error;
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
              `[${((Date.now() - started) / 1000).toFixed(0)}s] ${s.pipeline} ${s.state}: ${s.recordsIn} records in, lag ${s.lag}, ${s.checkpoints} checkpoints\n`,
            );
          }, 1000);
    try {
      await run.done;
    } finally {
      if (timer !== undefined) clearInterval(timer);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await engine.close();
    }
    const s = run.status();
    process.stderr.write(`stopped ${s.pipeline}: ${s.recordsIn} records in, ${s.checkpoints} checkpoints\n`);
  });
}
