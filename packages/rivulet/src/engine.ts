import { createLog, type Log, type LogOptions } from './log/index.ts';
import { EngineError } from './model/index.ts';
import type { Plan } from './plan/index.ts';
import { PipelineRunner, type QueryableStore, type RunOptions, type WindowQuery } from './runtime/index.ts';

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
  /** Every run started on this engine, in start order, with the options it was started with. */
  readonly #started = new Map<PipelineRunner, RunOptions>();

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
    const resolved = { ...this.#defaults, ...options };
    const runner = await PipelineRunner.start(this.log, plan, resolved);
    this.#runs.add(runner);
    this.#started.set(runner, resolved);
    runner.done.catch(() => undefined).finally(() => this.#runs.delete(runner));
    return runner;
  }

  /**
   * The runs started on this engine, running, stopped and failed ones, in start order (a pipeline run
   * twice appears twice). The list only grows while the engine is open.
   */
  runs(): PipelineRunner[] {
    return [...this.#started.keys()];
  }

  /** The options `run` was started with, the engine's defaults merged in; undefined for another engine's run. */
  runOptions(run: PipelineRunner): RunOptions | undefined {
    return this.#started.get(run);
  }

  /**
   * Read access to the store `name` of a running pipeline, as of that pipeline's last checkpoint
   * (runtime/queryable-store.ts). UNKNOWN_STORE when no running pipeline has it, INVALID_ARGUMENT when
   * several do (ask the run: `run.store(name)`).
   */
  store<K = unknown, V = unknown>(name: string): QueryableStore<K, V> {
    return this.#owner(name).store<K, V>(name);
  }

  /**
   * Window fetch on the windowed aggregation `name` of a running pipeline, as of its last checkpoint
   * (runtime/window-query.ts); UNKNOWN_STORE when no running pipeline has it.
   */
  windows<K = unknown, V = unknown>(name: string): WindowQuery<K, V> {
    return this.#owner(name).windows<K, V>(name);
  }

  #owner(name: string): PipelineRunner {
    const owners = [...this.#runs].filter((r) => r.hasStore(name));
    if (owners.length > 1)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `several running pipelines have a store '${name}' (${owners.map((r) => r.plan.pipeline).join(', ')}): ask the run`,
      );
    if (owners.length === 0)
      throw new EngineError('UNKNOWN_STORE', `no running pipeline has a store '${name}'`, {
        details: { store: name },
      });
    return owners[0]!;
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
