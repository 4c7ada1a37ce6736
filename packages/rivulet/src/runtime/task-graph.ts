import type { Serde } from '../model/index.ts';
import {
  internalValueFormat,
  nodeLabel,
  type Plan,
  type PlanNode,
  type SubTopology,
  type TopologyStore,
  type WindowAggregateNode,
} from '../plan/index.ts';
import type { ErrorRouter } from './error-policy.ts';
import { codecFor } from './format-codec.ts';
import type { OperatorStore } from './operator-store.ts';
import { Accumulator } from './operators/accumulator.ts';
import { AggregateOperator } from './operators/aggregate-operator.ts';
import { BlackholeOperator } from './operators/blackhole-operator.ts';
import { BranchOperator } from './operators/branch-operator.ts';
import { DecayingWindowOperator } from './operators/decaying-window-operator.ts';
import { EventTimeOperator } from './operators/event-time-operator.ts';
import { FilterOperator } from './operators/filter-operator.ts';
import { FlatMapOperator } from './operators/flat-map-operator.ts';
import { ForeignKeyJoinOperator } from './operators/foreign-key-join-operator.ts';
import { GroupByKeyOperator } from './operators/group-by-key-operator.ts';
import { KeyByOperator } from './operators/key-by-operator.ts';
import { MapAsyncOperator } from './operators/map-async-operator.ts';
import { MapOperator } from './operators/map-operator.ts';
import { MergeOperator, type Operator, PassThroughOperator } from './operators/operator.ts';
import { PaneWindowOperator } from './operators/pane-window-operator.ts';
import { PeekOperator } from './operators/peek-operator.ts';
import { ProcessOperator } from './operators/process-operator.ts';
import { SessionWindowOperator } from './operators/session-window-operator.ts';
import { SinkOperator } from './operators/sink-operator.ts';
import { SlidingWindowOperator } from './operators/sliding-window-operator.ts';
import { StreamStreamJoinOperator } from './operators/stream-stream-join-operator.ts';
import { StreamTableJoinOperator } from './operators/stream-table-join-operator.ts';
import { TableTableJoinOperator } from './operators/table-table-join-operator.ts';
import { TemporalJoinOperator } from './operators/temporal-join-operator.ts';
import { ToTableOperator } from './operators/to-table-operator.ts';
import { WindowAggregateOperator } from './operators/window-aggregate-operator.ts';
import { WindowOperator, type WindowStateStore } from './operators/window-operator.ts';
import type { OutputWriter } from './output-writer.ts';
import type { OperatorMetrics, SinkLatency } from './run-metrics.ts';
import type { TimerStore } from './timer-store.ts';

/** What a task gives its operators: its stores, its output writers, and the error policies. */
export interface TaskEnvironment {
  store(spec: TopologyStore): OperatorStore;
  writer(topic: string): OutputWriter;
  /** Without a router every failure is thrown (`fail`). */
  errors?: ErrorRouter;
  /** A processor's timer store in one time domain (over a byte-keyed, range-capable store). */
  timers(spec: TopologyStore, domain: 'processing' | 'event'): TimerStore;
  /** A windowed aggregation's state (a byte-keyed, range-capable store). */
  windowStore(spec: TopologyStore): WindowStateStore;
  /** The task's partition (names the task's watermarks in repartition topics). */
  partition: number;
  /** How many partitions the task's input topics have (co-partitioned: all the same). */
  partitions: number;
  /** Processing time. */
  clock: () => number;
}

/** A task's operator graph: its inputs, its processors' timers, and its event-time state. */
export interface TaskGraph {
  inputs: Map<string, TaskInput>;
  /** Runs every due processing-time timer of the task's processors, and the idle checks of event time. */
  fireTimers(now: number): void;
  /**
   * Called once, when the task has read its global tables' topics to their end as of its start (at
   * once in the test driver): operators that react to global table changes start doing so then.
   */
  globalTablesLoaded(): void;
  /** Event-time state of the operators that have some, by node id (for the checkpoint). */
  timeState(): Record<string, unknown>;
  restoreTimeState(state: Record<string, unknown>): void;
  /** Late records so far, per windowed aggregation and stream-stream join (by its label). */
  lateRecords(): Array<[string, number]>;
  /**
   * Records in and out of every operator since the task started, for the task `task`; the writers of
   * repartition topics have no node id. A two-sided operator counts what reached either side.
   */
  operatorMetrics(task: string): OperatorMetrics[];
  /** End-to-end latency at each of the task's user-topic sinks. */
  sinkLatencies(task: string): SinkLatency[];
  /** The operator writing each repartition topic this task writes, by topic. */
  repartitionSinks: ReadonlyMap<string, SinkOperator>;
}

/** One input topic of a task: how to decode its records and which operators receive them. */
export interface TaskInput {
  topic: string;
  label: string;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  targets: Operator[];
  /** A table's topic: read to its end at start and first in every step (TopologyInput.table). */
  table: boolean;
  /** A global table's topic: all its partitions, from the start at every start (TopologyInput.global). */
  global: boolean;
  /** Waits until the async operators of the task have emitted everything handed to them. */
  settle: () => Promise<void>;
}

type Fn = (...args: never[]) => unknown;

/** The arithmetic of a windowed aggregation (its user functions taken from the plan). */
export function windowAccumulator(plan: Plan, node: WindowAggregateNode): Accumulator {
  const fn = (ref: string | undefined): never =>
    (ref === undefined ? undefined : plan.functions.get(ref)) as never;
  return new Accumulator(node.op, fn(node.init), fn(node.add), fn(node.merge), node.n);
}

/**
 * Whether a hopping window keeps one state per pane (PaneWindowOperator) rather than per window: final
 * results only, no early results, and an aggregation that can merge.
 */
export function usesPanes(node: WindowAggregateNode): boolean {
  return (
    node.window.kind === 'hopping' &&
    node.emit === 'final' &&
    node.earlyEveryMs === undefined &&
    (node.op !== 'aggregate' || node.merge !== undefined)
  );
}

/**
 * Builds the operator graph of one task of `sub`: one operator per plan node, wired as the plan says;
 * a keyBy at a repartition point writes to its repartition topic; inputs are the sub-topology's source
 * and repartition topics. Operators are fresh per task (their contexts are not shared).
 */
export function buildTaskGraph(plan: Plan, sub: SubTopology, env: TaskEnvironment): TaskGraph {
  const fn = (ref: string): Fn => plan.functions.get(ref) as Fn;
  const inSub = new Set(sub.nodeIds);
  const stores = new Map(sub.stores.map((s) => [s.name, s]));
  const operators = new Map<number, Operator>();
  const timerStore = (name: string, domain: 'processing' | 'event'): TimerStore =>
    env.timers(stores.get(name)!, domain);
  for (const id of sub.nodeIds)
    operators.set(
      id,
      createOperator(
        plan,
        plan.nodes[id]!,
        fn,
        (name) => env.store(stores.get(name)!),
        env,
        timerStore,
        (name) => stores.get(name)!,
      ),
    );
  /**
   * The operators of `node` that take what node `from` sends: the node's own, or, for a stream-stream
   * or table-table join, the input of each side `from` feeds (so the join tells left from right records
   * and watermarks).
   */
  const receivers = (node: PlanNode, from: number): Operator[] => {
    const operator = operators.get(node.id)!;
    const inputs = operator.inputs;
    if (inputs === undefined) return [operator];
    return wiredInputs(plan, node).flatMap((input, index) => (input === from ? [inputs[index]!] : []));
  };
  for (const id of sub.nodeIds) {
    const node = plan.nodes[id]!;
    const operator = operators.get(id)!;
    for (const [index, input] of wiredInputs(plan, node).entries()) {
      if (!inSub.has(input)) continue;
      // A stream-table join reads its table through the store; table changes do not flow into it.
      if ((node.kind === 'streamTableJoin' || node.kind === 'globalTableJoin') && index === 1) continue;
      const parent = operators.get(input)!;
      if (parent instanceof BranchOperator && node.kind === 'branchOutput')
        parent.outputs[node.index] = operator;
      else if (
        (parent instanceof WindowOperator ||
          parent instanceof StreamStreamJoinOperator ||
          parent instanceof TemporalJoinOperator) &&
        node.kind === 'windowLate'
      )
        parent.late.push(operator);
      else parent.children.push(operator.inputs?.[index] ?? operator);
    }
  }
  for (const operator of operators.values()) operator.errors = env.errors;
  const repartitionSinks: SinkOperator[] = [];
  for (const repartition of sub.repartitions) {
    const sink = new SinkOperator(
      `repartition ${repartition.topic}`,
      codecFor(repartition.keyFormat, plan),
      codecFor(internalValueFormat, plan),
      env.writer(repartition.topic),
      env.partition,
    );
    sink.errors = env.errors;
    operators.get(repartition.keyByNodeId)!.children.push(sink);
    repartitionSinks.push(sink);
  }
  const asyncOperators = [...operators.values()].filter(
    (o): o is MapAsyncOperator => o instanceof MapAsyncOperator,
  );
  // Upstream async operators first: settling one may hand batches to a later one.
  const settle = async (): Promise<void> => {
    for (const operator of asyncOperators) await operator.settled();
  };
  const inputs = new Map<string, TaskInput>();
  for (const input of sub.inputs) {
    const targets =
      input.kind === 'source'
        ? [operators.get(input.nodeId)!]
        : plan.nodes
            .filter((n) => inSub.has(n.id) && wiredInputs(plan, n).includes(input.nodeId))
            .flatMap((n) => receivers(n, input.nodeId));
    const existing = inputs.get(input.topic);
    if (existing !== undefined) {
      existing.targets.push(...targets);
      continue;
    }
    inputs.set(input.topic, {
      topic: input.topic,
      label: input.kind === 'source' ? nodeLabel(plan.nodes[input.nodeId]!) : `repartition ${input.topic}`,
      keySerde: codecFor(input.keyFormat, plan),
      valueSerde: codecFor(input.valueFormat, plan),
      targets,
      table: input.table,
      global: input.global,
      settle,
    });
  }
  const processors = [...operators.values()].filter(
    (o): o is ProcessOperator => o instanceof ProcessOperator,
  );
  const eventTimes = [...operators.values()].filter(
    (o): o is EventTimeOperator => o instanceof EventTimeOperator,
  );
  const windows = [...operators.values()].filter((o): o is WindowOperator => o instanceof WindowOperator);
  return {
    inputs,
    repartitionSinks: new Map(sub.repartitions.map((r, i) => [r.topic, repartitionSinks[i]!])),
    globalTablesLoaded: () => {
      for (const operator of operators.values()) operator.globalTablesLoaded();
    },
    fireTimers: (now) => {
      for (const processor of processors) processor.fireTimers(now);
      for (const eventTime of eventTimes) eventTime.checkIdle(now);
      for (const window of windows) window.tick(now);
    },
    timeState: () => {
      const state: Record<string, unknown> = {};
      for (const [id, operator] of operators) {
        const s = operator.timeState();
        if (s !== undefined) state[id] = s;
      }
      return state;
    },
    lateRecords: () =>
      [...operators.values()]
        .filter(
          (o): o is WindowOperator | StreamStreamJoinOperator | TemporalJoinOperator =>
            o instanceof WindowOperator ||
            o instanceof StreamStreamJoinOperator ||
            o instanceof TemporalJoinOperator,
        )
        .map((o) => [o.label, o.lateRecords]),
    operatorMetrics: (task) => {
      const out: OperatorMetrics[] = [];
      for (const [nodeId, operator] of operators) {
        let recordsIn = operator.recordsIn;
        for (const side of operator.inputs ?? []) recordsIn += side.recordsIn;
        out.push({ operator: operator.label, nodeId, task, recordsIn, recordsOut: operator.recordsOut });
      }
      for (const sink of repartitionSinks)
        out.push({
          operator: sink.label,
          nodeId: null,
          task,
          recordsIn: sink.recordsIn,
          recordsOut: sink.recordsOut,
        });
      return out;
    },
    sinkLatencies: (task) =>
      [...operators.values()].flatMap((o) =>
        o instanceof SinkOperator && o.latency !== undefined
          ? [{ operator: o.label, task, histogram: o.latency.snapshot() }]
          : [],
      ),
    restoreTimeState: (state) => {
      // Downstream first, so a watermark an upstream operator re-sends meets restored state.
      for (const [id, operator] of [...operators].reverse())
        if (Object.hasOwn(state, id)) operator.restoreTimeState(state[id]);
    },
  };
}

/**
 * Where the records writing the table `id` come from, and the map / filter steps they take on the way:
 * through a chain of toTable nodes (a table, its mapValues and filters) down to the first node that is
 * not one; any other table writes its own changelog.
 */
function tableVersions(
  plan: Plan,
  id: number,
): { from: number; steps: Array<{ map?: string; filter?: string }> } {
  const steps: Array<{ map?: string; filter?: string }> = [];
  let node = plan.nodes[id];
  while (node?.kind === 'toTable' && node.store.global !== true) {
    steps.unshift({ map: node.map, filter: node.filter });
    id = node.inputs[0]!;
    node = plan.nodes[id];
  }
  return { from: id, steps };
}

/**
 * The nodes whose output a node's operator takes: its inputs, except that a temporal join takes its
 * table's versions (the records writing the table, which its changelog thins out) and not the table.
 */
function wiredInputs(plan: Plan, node: PlanNode): readonly number[] {
  return node.kind === 'temporalJoin'
    ? [node.inputs[0]!, tableVersions(plan, node.inputs[1]!).from]
    : node.inputs;
}

function createOperator(
  plan: Plan,
  node: PlanNode,
  fn: (ref: string) => Fn,
  store: (name: string) => OperatorStore,
  env: TaskEnvironment,
  timers: (name: string, domain: 'processing' | 'event') => TimerStore,
  storeSpec: (name: string) => TopologyStore,
): Operator {
  const label = nodeLabel(node);
  switch (node.kind) {
    case 'source':
    case 'toStream':
    case 'branchOutput':
    case 'windowLate':
      return new PassThroughOperator(label);
    case 'merge':
      return new MergeOperator(label, node.inputs.length);
    case 'eventTime':
      return new EventTimeOperator(
        label,
        fn(node.fn) as never,
        node.maxOutOfOrderMs,
        node.idleTimeoutMs,
        env.clock,
      );
    case 'windowAggregate': {
      const accumulator = windowAccumulator(plan, node);
      const store = env.windowStore(storeSpec(node.store.name));
      const w = node.window;
      if (w.kind === 'decaying')
        return new DecayingWindowOperator(
          label,
          w.halfLifeMs,
          node.op === 'sum' ? 'sum' : 'count',
          node.add === undefined ? undefined : (fn(node.add) as never),
          accumulator,
          node.allowedLatenessMs,
          store,
        );
      if (w.kind === 'sliding')
        return new SlidingWindowOperator(
          label,
          w.sizeMs,
          w.resolutionMs,
          node.op !== 'aggregate' || node.merge !== undefined,
          accumulator,
          node.emit,
          node.allowedLatenessMs,
          store,
        );
      const early = <O extends WindowOperator>(operator: O): O =>
        node.earlyEveryMs === undefined ? operator : operator.earlyEvery(node.earlyEveryMs);
      if (w.kind === 'session')
        return early(
          new SessionWindowOperator(label, w.gapMs, accumulator, node.emit, node.allowedLatenessMs, store),
        );
      // Hopping windows with final results and a mergeable aggregation keep one state per pane.
      if (w.kind === 'hopping' && usesPanes(node))
        return new PaneWindowOperator(label, w, accumulator, node.allowedLatenessMs, store);
      return early(
        new WindowAggregateOperator(label, w, accumulator, node.emit, node.allowedLatenessMs, store),
      );
    }
    case 'map':
      return new MapOperator(label, fn(node.fn) as never);
    case 'filter':
      return new FilterOperator(label, fn(node.fn) as never);
    case 'flatMap':
      return new FlatMapOperator(label, fn(node.fn) as never);
    case 'peek':
      return new PeekOperator(label, fn(node.fn) as never);
    case 'keyBy':
      return new KeyByOperator(label, fn(node.fn) as never);
    case 'groupByKey':
      return new GroupByKeyOperator(label, env.partition, env.partitions);
    case 'toTable':
      return new ToTableOperator(
        label,
        store(node.store.name),
        node.map === undefined ? undefined : (fn(node.map) as never),
        node.filter === undefined ? undefined : (fn(node.filter) as never),
      );
    case 'streamTableJoin':
      return new StreamTableJoinOperator(label, fn(node.fn) as never, node.join, store(node.tableStore));
    case 'globalTableJoin':
      return new StreamTableJoinOperator(
        label,
        fn(node.fn) as never,
        node.join,
        store(node.tableStore),
        fn(node.keyFn) as never,
      );
    case 'foreignKeyJoin':
      return new ForeignKeyJoinOperator(
        label,
        fn(node.fkFn) as never,
        fn(node.fn) as never,
        node.join,
        store(node.store.name),
        env.windowStore(storeSpec(node.indexStore.name)),
        [store(node.tableStores[0]), store(node.tableStores[1])],
        env.clock,
      );
    case 'tableTableJoin':
      return new TableTableJoinOperator(label, fn(node.fn) as never, node.join, store(node.store.name), [
        store(node.tableStores[0]),
        store(node.tableStores[1]),
      ]);
    case 'streamStreamJoin':
      return new StreamStreamJoinOperator(
        label,
        fn(node.fn) as never,
        node.join,
        node.withinMs,
        node.allowedLatenessMs,
        env.windowStore(storeSpec(node.store.name)),
      );
    case 'temporalJoin':
      return new TemporalJoinOperator(
        label,
        fn(node.fn) as never,
        node.join,
        node.historyMs,
        tableVersions(plan, node.inputs[1]!).steps.map((step) => ({
          ...(step.map === undefined ? {} : { map: fn(step.map) as never }),
          ...(step.filter === undefined ? {} : { filter: fn(step.filter) as never }),
        })),
        env.windowStore(storeSpec(node.store.name)),
      );
    case 'branch':
      return new BranchOperator(label, node.predicates.map((p) => fn(p)) as never);
    case 'aggregate':
      return new AggregateOperator(
        label,
        new Accumulator(
          node.op,
          node.init === undefined ? undefined : (fn(node.init) as never),
          node.add === undefined ? undefined : (fn(node.add) as never),
          undefined,
        ),
        store(node.store.name),
      );
    case 'process':
      return new ProcessOperator(
        label,
        fn(node.fn) as never,
        node.onTimer === undefined ? undefined : (fn(node.onTimer) as never),
        new Map(node.stores.map((s) => [s.name, store(s.name)])),
        timers(node.timerStore.name, 'processing'),
        timers(node.timerStore.name, 'event'),
        env.clock,
      );
    case 'sink':
      if (node.blackhole === true) return new BlackholeOperator(label);
      return new SinkOperator(
        label,
        codecFor(node.keyFormat, plan),
        codecFor(node.valueFormat, plan),
        env.writer(node.topic),
        undefined,
        env.clock,
      );
    case 'mapAsync':
      return new MapAsyncOperator(label, fn(node.fn) as never, node.concurrency);
  }
}
