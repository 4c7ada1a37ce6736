import { createLog, type Log, type LogOptions } from './log/index.ts';
import type { Plan } from './plan/index.ts';
import { PipelineRunner, type RunOptions } from './runtime/index.ts';

export interface EngineOptions extends LogOptions {
  /** Defaults for every pipeline run (guarantee, commit interval, state directory). */
  run?: RunOptions;
}

/**
 * The composition root: one embedded log and the pipelines running on it. `run` starts a pipeline (a DSL
 * Pipeline or a Plan) and resolves once it has recovered to its last checkpoint and is processing.
 * `close` stops every pipeline (each takes a final checkpoint) and closes the log.
 */
export class Engine {
  readonly log: Log;
  readonly #defaults: RunOptions;
  readonly #runs = new Set<PipelineRunner>();

  private constructor(log: Log, defaults: RunOptions) {
    this.log = log;
    this.#defaults = defaults;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const { run, ...logOptions } = options;
    return new Engine(await createLog(logOptions), run ?? {});
  }

  async run(pipeline: Plan | { plan(): Plan }, options: RunOptions = {}): Promise<PipelineRunner> {
    const plan =
      'plan' in pipeline && typeof pipeline.plan === 'function' ? pipeline.plan() : (pipeline as Plan);
    const runner = await PipelineRunner.start(this.log, plan, { ...this.#defaults, ...options });
    this.#runs.add(runner);
    runner.done.catch(() => undefined).finally(() => this.#runs.delete(runner));
    return runner;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#runs].map((r) => r.stop()));
    await this.log.close();
  }
}

/** Opens the embedded log in `options.dataDir` and returns an engine running pipelines on it. */
export function createEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}
