/**
 * `rivulet reprocess <module> --into <suffix> --from-beginning`: runs the pipeline a module exports (new
 * logic, e.g. a fixed aggregation) over the whole log, side by side with the old one. It runs a renamed
 * copy of the plan (plan/rename-plan.ts): pipeline `<name>-<suffix>` (its own changelogs, repartition
 * topics and checkpoints) writing `<topic>-<suffix>` for every sink topic (the original outputs are not
 * touched), every source starting at its earliest offset. It runs in this thread on the embedded log
 * until all input present at the start is processed and committed (lag 0), showing progress over the
 * input records on stderr (a bar on a TTY, else a line per 10%), then stops gracefully and prints the new
 * topics and their record counts (one JSON object with --json). Refuses a suffix that is not valid in a
 * topic name (INVALID_ARGUMENT), output topics that already hold records (TOPIC_EXISTS), and a suffix whose
 * pipeline has checkpoints already (INVALID_ARGUMENT: it would resume, not start over). SIGINT/SIGTERM
 * stop it early (after a final checkpoint; exit 1). `--from-beginning` is required: it is the only mode.
 */
import { Command, Option } from 'commander';
import { createEngine, type Engine } from '../engine.ts';
import type { Log } from '../log/index.ts';
import { EngineError, sleep } from '../model/index.ts';
import { type Plan, planSinkTopics, planSourceTopics, renamePlan, suffixedName } from '../plan/index.ts';
import { CHECKPOINT_TOPIC, loadPipelineModule, readCheckpoints } from '../runtime/index.ts';
import { exitCodes } from './cli-error.ts';
import { assertTopicDataDir, dataDirOption } from './open-log.ts';
import { parsePositiveInteger } from './option-parsers.ts';

interface ReprocessOptions {
  into: string;
  fromBeginning?: boolean;
  dataDir: string;
  stateDir?: string;
  json?: boolean;
  pollInterval: number;
}

export interface ReprocessSummary {
  pipeline: string;
  /** The renamed pipeline that ran. */
  reprocessedAs: string;
  /** Records in the input topics when it started (what the progress counts toward). */
  inputRecords: number;
  /** Input records read, as of the last checkpoint (repartitioned records included). */
  recordsIn: number;
  complete: boolean;
  elapsedMs: number;
  topics: Array<{ from: string; to: string; records: number }>;
}

const HELP = `
The copy of the pipeline runs as <pipeline>-<suffix>, so its state, changelogs and checkpoints are its
own, and writes <topic>-<suffix> for each output topic; the original outputs are not touched. It starts
at the earliest offset of every input, runs until everything present at the start is processed and
committed, then stops. Compare the outputs with rivulet diff.

Examples:
  rivulet reprocess app.ts --into v2 --from-beginning
  rivulet diff totals totals-v2`;

export function reprocessCommand(): Command {
  const command = new Command('reprocess')
    .description("run a module's pipeline over the whole log into new output topics <topic>-<suffix>")
    .argument('<module>', 'a .ts or .js module whose default export is a pipeline')
    .requiredOption('--into <suffix>', 'suffix of the new pipeline name and output topics')
    .option('--from-beginning', 'start at the earliest offset of every input (required: the only mode)')
    .addOption(dataDirOption())
    .option('--state-dir <dir>', 'keep stores in LMDB under this directory (default: in memory)')
    .option('--json', 'print the summary as one JSON object')
    .addOption(
      new Option('--poll-interval <ms>', 'how often to check progress, in ms')
        .argParser(parsePositiveInteger)
        .default(100)
        .hideHelp(),
    )
    .addHelpText('after', HELP);
  return command.action(async (modulePath: string, _options: unknown, self: Command) => {
    const options = self.opts<ReprocessOptions>();
    if (options.fromBeginning !== true) {
      self.error(
        'error: reprocess needs --from-beginning (it is the only mode: the whole log is run again)',
        { exitCode: exitCodes.usage, code: 'rivulet.reprocess.fromBeginning' },
      );
    }
    const original = await loadPipelineModule(modulePath);
    const plan = renamePlan(original, { suffix: options.into, startFrom: 'earliest' });
    const sources = planSourceTopics(original);
    assertTopicDataDir(options.dataDir, sources[0] ?? planSinkTopics(original)[0] ?? original.pipeline);
    const engine = await createEngine({
      dataDir: options.dataDir,
      run: options.stateDir === undefined ? {} : { stateDir: options.stateDir },
    });
    let summary: ReprocessSummary;
    try {
      summary = await reprocess(engine, original, plan, options);
    } finally {
      await engine.close();
    }
    process.stdout.write(options.json === true ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    if (!summary.complete) process.exitCode = exitCodes.failure;
  });
}

function topicRecords(log: Log, topic: string, committed: boolean): number {
  if (!log.hasTopic(topic)) return 0;
  let records = 0;
  const { partitions } = log.topicConfig(topic);
  for (let i = 0; i < partitions; i++) {
    const p = log.partition(topic, i);
    records += (committed ? p.committedOffset : p.highWatermark) - p.logStartOffset;
  }
  return records;
}

async function reprocess(
  engine: Engine,
  original: Plan,
  plan: Plan,
  options: ReprocessOptions,
): Promise<ReprocessSummary> {
  const log = engine.log;
  const outputs = planSinkTopics(plan);
  for (const topic of outputs) {
    const records = topicRecords(log, topic, false);
    if (records > 0) {
      throw new EngineError(
        'TOPIC_EXISTS',
        `output topic '${topic}' already exists and holds ${records} records`,
        {
          details: {
            topic,
            hint: `pick another --into suffix, or delete it first with: rivulet topics delete ${topic}`,
          },
        },
      );
    }
  }
  // A pipeline of that name that has run already would resume at its checkpoint, not at the beginning.
  if (log.hasTopic(CHECKPOINT_TOPIC) && (await readCheckpoints(log, plan.pipeline)).length > 0) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `pipeline '${plan.pipeline}' has run before (it has checkpoints), so it would resume where it stopped instead of starting from the beginning`,
      { details: { pipeline: plan.pipeline, hint: 'pick another --into suffix' } },
    );
  }
  const outputSet = new Set(outputs);
  const inputs = planSourceTopics(plan).filter((t) => !outputSet.has(t));
  for (const topic of inputs) log.topicConfig(topic); // UNKNOWN_TOPIC before anything is created
  const total = inputs.reduce((sum, t) => sum + topicRecords(log, t, true), 0);
  const started = performance.now();
  const progress = await progressReporter(total);
  const run = await engine.run(plan, { parallelism: 1 });
  let interrupted = false;
  const stop = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let failed = false;
  run.done.catch(() => {
    failed = true;
  });
  const inputSet = new Set(inputs);
  try {
    for (;;) {
      const status = run.status();
      if (failed || status.state !== 'running') break;
      const sourceLag = run
        .metrics()
        .consumerLag.filter((c) => inputSet.has(c.topic))
        .reduce((sum, c) => sum + c.lag, 0);
      progress.update(Math.max(0, total - sourceLag), total);
      if (status.lag === 0 || interrupted) break;
      await sleep(options.pollInterval);
    }
  } finally {
    progress.stop();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (!failed) await run.stop();
  await run.done; // rethrows a processing error
  const status = run.status();
  return {
    pipeline: original.pipeline,
    reprocessedAs: plan.pipeline,
    inputRecords: total,
    recordsIn: status.recordsIn,
    complete: !interrupted && status.lag === 0,
    elapsedMs: Math.round(performance.now() - started),
    topics: planSinkTopics(original).map((from) => {
      const to = suffixedName(from, options.into);
      return { from, to, records: topicRecords(log, to, true) };
    }),
  };
}

interface ProgressReporter {
  update(done: number, total: number): void;
  stop(): void;
}

/** Progress on stderr: a cli-progress bar on a TTY (when the package loads), else a line per 10%. */
async function progressReporter(total: number): Promise<ProgressReporter> {
  const started = performance.now();
  if (process.stderr.isTTY) {
    try {
      const { default: cliProgress } = await import('cli-progress');
      const bar = new cliProgress.SingleBar(
        {
          format: 'reprocess [{bar}] {percentage}% | {value}/{total} records | {duration}s',
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { update: (done) => bar.update(done), stop: () => bar.stop() };
    } catch {
      // fall through to plain lines
    }
  }
  let next = 0;
  return {
    update(done) {
      if (done < next) return;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      process.stderr.write(`[${seconds}s] ${done} of ${total} input records processed (${percent}%)\n`);
      next = total === 0 ? Number.POSITIVE_INFINITY : Math.floor(done / (total / 10) + 1) * (total / 10);
      if (done >= total) next = Number.POSITIVE_INFINITY;
    },
    stop: () => undefined,
  };
}

function formatSummary(s: ReprocessSummary): string {
  const lines = [
    `${s.complete ? 'reprocessed' : 'stopped early:'} ${s.pipeline} as ${s.reprocessedAs}: ${s.inputRecords} input records in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    ...s.topics.map((t) => `  ${t.from} -> ${t.to}: ${t.records} records`),
  ];
  if (s.topics.length > 0) {
    const t = s.topics[0]!;
    lines.push(`compare with: rivulet diff ${t.from} ${t.to}`);
  }
  return `${lines.join('\n')}\n`;
}
