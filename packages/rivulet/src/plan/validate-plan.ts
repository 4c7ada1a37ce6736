import type { PlanIssue } from './plan-issue.ts';
import {
  keyedStatefulKinds,
  nodeLabel,
  nodeStores,
  type Plan,
  type PlanNode,
  type StoreSpec,
  type StreamStreamJoinNode,
  type TableTableJoinNode,
  type TemporalJoinNode,
} from './plan-node.ts';

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

function functionRefs(node: PlanNode): string[] {
  switch (node.kind) {
    case 'map':
    case 'filter':
    case 'flatMap':
    case 'peek':
    case 'keyBy':
    case 'mapAsync':
    case 'eventTime':
      return [node.fn];
    case 'windowAggregate':
      return [node.init, node.add, node.merge].filter((f): f is string => f !== undefined);
    case 'process':
      return node.onTimer === undefined ? [node.fn] : [node.fn, node.onTimer];
    case 'branch':
      return [...node.predicates];
    case 'aggregate':
      return [node.init, node.add].filter((f): f is string => f !== undefined);
    case 'toTable':
      return [node.map, node.filter].filter((f): f is string => f !== undefined);
    case 'streamTableJoin':
    case 'streamStreamJoin':
    case 'temporalJoin':
    case 'tableTableJoin':
      return [node.fn];
    case 'globalTableJoin':
      return [node.keyFn, node.fn];
    case 'foreignKeyJoin':
      return [node.fkFn, node.fn];
    default:
      return [];
  }
}

function expectedInputs(node: PlanNode): [min: number, max: number] {
  if (node.kind === 'source') return [0, 0];
  if (node.kind === 'merge') return [2, Number.POSITIVE_INFINITY];
  if (node.kind === 'tableTableJoin' || node.kind === 'foreignKeyJoin') return [2, 2];
  if (node.kind === 'streamTableJoin' || node.kind === 'streamStreamJoin' || node.kind === 'globalTableJoin')
    return [2, 2];
  if (node.kind === 'temporalJoin') return [2, 2];
  return [1, 1];
}

/**
 * Checks a plan and returns every problem found (an empty array when it can run), each naming its
 * operator. Never throws; front ends report all issues at once.
 */
export function validatePlan(plan: Plan): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const add = (code: PlanIssue['code'], node: PlanNode | undefined, message: string): void => {
    issues.push({ code, operator: node === undefined ? plan.pipeline : nodeLabel(node), message });
  };
  if (!TOPIC_NAME.test(plan.pipeline)) {
    add(
      'INVALID_ARGUMENT',
      undefined,
      `pipeline name '${plan.pipeline}' must use 1-249 characters from A-Z a-z 0-9 . _ - (it prefixes internal topic names)`,
    );
  }
  const names = new Map<string, PlanNode>();
  const storeNames = new Map<string, PlanNode>();
  const sourceTopics = new Set<string>();
  /** The (non-global) source reading each topic: a topic partition is read by one task only. */
  const readers = new Map<string, PlanNode>();
  for (const node of plan.nodes) {
    if (node.kind !== 'source') continue;
    sourceTopics.add(node.topic);
    if (node.role === 'globalTable') continue;
    const other = readers.get(node.topic);
    if (other === undefined) readers.set(node.topic, node);
    else
      add(
        'DUPLICATE_SOURCE_TOPIC',
        node,
        `topic '${node.topic}' is already read by ${nodeLabel(other)}; read a topic once and branch that stream (a checkpoint keeps one position per topic partition)`,
      );
  }

  for (const node of plan.nodes) {
    if ('name' in node) {
      if (typeof node.name !== 'string' || node.name.trim() === '')
        add('MISSING_NAME', node, `every ${node.kind} needs a name`);
      else if (names.has(node.name))
        add(
          'DUPLICATE_NAME',
          node,
          `the name '${node.name}' is already used by ${nodeLabel(names.get(node.name)!)}`,
        );
      else names.set(node.name, node);
    }
    const [min, max] = expectedInputs(node);
    if (node.inputs.length < min || node.inputs.length > max) {
      add(
        'WRONG_INPUT_COUNT',
        node,
        `${node.kind} takes ${min === max ? min : `at least ${min}`} input(s), got ${node.inputs.length}`,
      );
    }
    for (const input of node.inputs) {
      if (!Number.isInteger(input) || input < 0 || input >= plan.nodes.length)
        add('UNKNOWN_INPUT', node, `input #${input} does not exist`);
      else if (input >= node.id) add('CYCLE', node, `input #${input} is not upstream of #${node.id}`);
    }
    for (const ref of functionRefs(node)) {
      if (!plan.functions.has(ref)) add('UNKNOWN_FUNCTION', node, `function ${ref} is missing from the plan`);
    }
    if (node.kind === 'source' || node.kind === 'sink') {
      if (!TOPIC_NAME.test(node.topic))
        add('INVALID_TOPIC', node, `'${node.topic}' is not a valid topic name`);
      if (node.kind === 'sink' && sourceTopics.has(node.topic)) {
        add('TOPIC_LOOP', node, `sink writes to topic '${node.topic}', which this pipeline also reads`);
      }
    }
    if (node.kind === 'mapAsync' && (!Number.isInteger(node.concurrency) || node.concurrency < 1)) {
      add('INVALID_ARGUMENT', node, `concurrency must be an integer >= 1, got ${node.concurrency}`);
    }
    if (node.kind === 'branch') {
      if (node.branchNames.length !== node.predicates.length)
        add('INVALID_ARGUMENT', node, 'every branch needs a name and a predicate');
      if (new Set(node.branchNames).size !== node.branchNames.length)
        add('DUPLICATE_NAME', node, 'branch names must be unique');
    }
    const stores = nodeStores(node);
    for (const store of stores) {
      if (storeNames.has(store.name))
        add(
          'DUPLICATE_NAME',
          node,
          `store '${store.name}' is already used by ${nodeLabel(storeNames.get(store.name)!)}`,
        );
      storeNames.set(store.name, node);
      if (store.ttlMs !== undefined && !(store.ttlMs > 0))
        add('INVALID_ARGUMENT', node, `store '${store.name}' ttl must be > 0`);
    }
    if (
      (node.kind === 'aggregate' ||
        node.kind === 'process' ||
        node.kind === 'windowAggregate' ||
        (node.kind === 'toTable' && node.store.global !== true) ||
        node.kind === 'streamTableJoin') &&
      !isKeyed(plan, node.inputs[0])
    ) {
      add('NOT_KEYED', node, `${node.kind} needs a keyed input: call keyBy() first`);
    }
    if (node.kind === 'streamStreamJoin') validateStreamJoin(plan, node, add);
    if (node.kind === 'temporalJoin') validateTemporalJoin(plan, node, add);
    if (node.kind === 'tableTableJoin') validateTableJoin(plan, node, add);
    if (node.kind === 'foreignKeyJoin') {
      const left = tableStoreOf(plan.nodes[node.inputs[0] ?? -1]);
      if (left === undefined || left.global === true || left.name !== node.tableStores[0])
        add(
          'INVALID_ARGUMENT',
          node,
          `the left input must be the table whose store is '${node.tableStores[0]}'`,
        );
      const global = plan.nodes[node.inputs[1] ?? -1];
      if (
        global?.kind !== 'toTable' ||
        global.store.global !== true ||
        global.store.name !== node.tableStores[1]
      )
        add(
          'INVALID_ARGUMENT',
          node,
          `the other input must be the global table whose store is '${node.tableStores[1]}' (pipeline.globalTable)`,
        );
    }
    if (node.kind === 'toTable' && node.store.global === true) {
      const source = plan.nodes[node.inputs[0] ?? -1];
      if (source?.kind !== 'source' || source.role !== 'globalTable')
        add('INVALID_ARGUMENT', node, 'a global table reads its topic directly (pipeline.globalTable)');
    }
    if (node.kind === 'globalTableJoin') {
      const table = plan.nodes[node.inputs[1] ?? -1];
      if (table?.kind !== 'toTable' || table.store.global !== true || table.store.name !== node.tableStore)
        add('INVALID_ARGUMENT', node, `input 1 must be the global table whose store is '${node.tableStore}'`);
    }
    for (const input of node.inputs) {
      const used = plan.nodes[input];
      if (
        used?.kind === 'toTable' &&
        used.store.global === true &&
        !((node.kind === 'globalTableJoin' || node.kind === 'foreignKeyJoin') && node.inputs[1] === input)
      )
        add(
          'INVALID_ARGUMENT',
          node,
          `global table '${used.store.name}' can only be joined (stream.join(globalTable, ...))`,
        );
    }
    if (node.kind === 'streamTableJoin') {
      const table = tableStoreOf(plan.nodes[node.inputs[1] ?? -1]);
      if (table?.name !== node.tableStore)
        add('INVALID_ARGUMENT', node, `input 1 must be the table whose store is '${node.tableStore}'`);
      else if (JSON.stringify(table.keyFormat) !== JSON.stringify(node.keyFormat))
        add(
          'KEY_FORMAT_MISMATCH',
          node,
          `the stream's keys are encoded as ${node.keyFormat.kind} and table '${node.tableStore}'s as ${table.keyFormat.kind}: equal keys would land in different partitions; give both the same key format (keyBy() keys are json)`,
        );
    }
    if (node.kind === 'groupByKey') {
      const origins = keyOrigins(plan, node.inputs[0]);
      if (origins.some((o) => o.kind === 'keyBy'))
        add(
          'NOT_PARTITIONED_BY_KEY',
          node,
          'groupByKey() after keyBy(): the records are not partitioned by the new key; aggregate the keyed stream instead',
        );
      for (const o of origins)
        if (o.kind === 'source' && o.keyFormat.kind === 'bytes')
          add(
            'INVALID_ARGUMENT',
            node,
            `groupByKey() needs decoded keys, but source '${o.name}' reads them as raw bytes: give the topic a key format (topic(name, value, { key: text() }) or json())`,
          );
    }
    if (node.kind === 'eventTime') {
      if (!(node.maxOutOfOrderMs >= 0))
        add(
          'INVALID_ARGUMENT',
          node,
          `the out-of-orderness bound must be >= 0 ms, got ${node.maxOutOfOrderMs}`,
        );
      if (node.idleTimeoutMs !== undefined && !(node.idleTimeoutMs > 0))
        add('INVALID_ARGUMENT', node, `the idle timeout must be > 0 ms, got ${node.idleTimeoutMs}`);
    }
    if (node.kind === 'windowAggregate') {
      const w = node.window;
      if (w.kind === 'decaying') {
        if (!(w.halfLifeMs > 0))
          add('INVALID_ARGUMENT', node, `half-life must be > 0 ms, got ${w.halfLifeMs}`);
        if (node.op !== 'count' && node.op !== 'sum')
          add('INVALID_ARGUMENT', node, `decaying windows support count and sum, not ${node.op}`);
        if (node.emit !== 'updates')
          add('INVALID_ARGUMENT', node, "decaying windows never close: use emit: 'updates'");
      } else if (w.kind === 'sliding') {
        if (!(w.sizeMs >= 0) || !Number.isSafeInteger(w.sizeMs))
          add(
            'INVALID_ARGUMENT',
            node,
            `sliding window size must be a whole number of ms >= 0, got ${w.sizeMs}`,
          );
        if (
          !(w.resolutionMs > 0) ||
          !Number.isSafeInteger(w.resolutionMs) ||
          (w.sizeMs > 0 && w.resolutionMs > w.sizeMs)
        )
          add(
            'INVALID_ARGUMENT',
            node,
            `sliding window resolution must be a whole number of ms > 0 and at most the size (${w.sizeMs} ms), got ${w.resolutionMs}`,
          );
      } else if (w.kind === 'session') {
        if (!(w.gapMs > 0) || !Number.isSafeInteger(w.gapMs))
          add('INVALID_ARGUMENT', node, `session gap must be a whole number of ms > 0, got ${w.gapMs}`);
        if (node.op === 'aggregate' && node.merge === undefined)
          add(
            'INVALID_ARGUMENT',
            node,
            'session windows merge: aggregate(name, init, add, merge) needs a merge function',
          );
      } else if (!(w.sizeMs > 0) || !Number.isSafeInteger(w.sizeMs))
        add('INVALID_ARGUMENT', node, `window size must be a whole number of ms > 0, got ${w.sizeMs}`);
      if (
        w.kind === 'hopping' &&
        (!(w.advanceMs > 0) || !Number.isSafeInteger(w.advanceMs) || w.advanceMs > w.sizeMs)
      )
        add(
          'INVALID_ARGUMENT',
          node,
          `hopping advance must be a whole number of ms in (0, size], got ${w.advanceMs}`,
        );
      if (node.earlyEveryMs !== undefined) {
        if (!(node.earlyEveryMs > 0))
          add('INVALID_ARGUMENT', node, `early results need an interval > 0 ms, got ${node.earlyEveryMs}`);
        if (node.emit !== 'final' || (w.kind !== 'tumbling' && w.kind !== 'hopping' && w.kind !== 'session'))
          add(
            'INVALID_ARGUMENT',
            node,
            "early results go with emit: 'final' on tumbling, hopping or session windows",
          );
      }
      if (node.op === 'topN' && (!Number.isSafeInteger(node.n) || (node.n ?? 0) < 1))
        add('INVALID_ARGUMENT', node, `topN needs a whole number n >= 1, got ${node.n}`);
      if (!(node.allowedLatenessMs >= 0))
        add('INVALID_ARGUMENT', node, `allowed lateness must be >= 0 ms, got ${node.allowedLatenessMs}`);
      if (!hasEventTime(plan, node.inputs[0]))
        add(
          'NO_EVENT_TIME',
          node,
          'windows need event time on every input path: call eventTime(extractor, boundedOutOfOrder(...)) upstream',
        );
    }
  }
  return issues;
}

/** Both inputs keyed alike and with event time; a whole, non-negative bound and lateness. */
function validateStreamJoin(
  plan: Plan,
  node: StreamStreamJoinNode,
  add: (code: PlanIssue['code'], node: PlanNode, message: string) => void,
): void {
  const sides = ['left', 'right'] as const;
  for (const [index, side] of sides.entries()) {
    if (!isKeyed(plan, node.inputs[index]))
      add('NOT_KEYED', node, `the ${side} input of a stream-stream join needs a key: call keyBy() first`);
    if (!hasEventTime(plan, node.inputs[index]))
      add(
        'NO_EVENT_TIME',
        node,
        `the ${side} input of a stream-stream join needs event time on every path: call eventTime(extractor, boundedOutOfOrder(...)) upstream`,
      );
  }
  const [left, right] = node.keyFormats;
  if (JSON.stringify(left) !== JSON.stringify(right))
    add(
      'KEY_FORMAT_MISMATCH',
      node,
      `the left stream's keys are encoded as ${left.kind} and the right stream's as ${right.kind}: equal keys would land in different partitions; give both the same key format (keyBy() keys are json)`,
    );
  if (!(node.withinMs >= 0) || !Number.isSafeInteger(node.withinMs))
    add('INVALID_ARGUMENT', node, `the join bound must be a whole number of ms >= 0, got ${node.withinMs}`);
  if (!(node.allowedLatenessMs >= 0) || !Number.isSafeInteger(node.allowedLatenessMs))
    add(
      'INVALID_ARGUMENT',
      node,
      `allowed lateness must be a whole number of ms >= 0, got ${node.allowedLatenessMs}`,
    );
}

/**
 * A keyed stream and a table of the same key format, both with event time (the table's versions are
 * timed by it); a whole, non-negative history.
 */
function validateTemporalJoin(
  plan: Plan,
  node: TemporalJoinNode,
  add: (code: PlanIssue['code'], node: PlanNode, message: string) => void,
): void {
  if (!isKeyed(plan, node.inputs[0]))
    add('NOT_KEYED', node, 'the stream of a temporal join needs a key: call keyBy() first');
  const sides = ['stream', 'table'] as const;
  for (const [index, side] of sides.entries())
    if (!hasEventTime(plan, node.inputs[index]))
      add(
        'NO_EVENT_TIME',
        node,
        `the ${side} of a temporal join needs event time on every path: call eventTime(extractor, boundedOutOfOrder(...)) upstream${side === 'table' ? ' of the records the table is built from (a table of pipeline.table has none: use from(...).eventTime(...).groupByKey().toTable(name))' : ''}`,
      );
  const table = tableStoreOf(plan.nodes[node.inputs[1] ?? -1]);
  if (table?.name !== node.tableStore || table.global === true)
    add('INVALID_ARGUMENT', node, `input 1 must be the table whose store is '${node.tableStore}'`);
  else if (JSON.stringify(table.keyFormat) !== JSON.stringify(node.keyFormat))
    add(
      'KEY_FORMAT_MISMATCH',
      node,
      `the stream's keys are encoded as ${node.keyFormat.kind} and table '${node.tableStore}'s as ${table.keyFormat.kind}: equal keys would land in different partitions; give both the same key format (keyBy() keys are json)`,
    );
  if (!(node.historyMs >= 0) || !Number.isSafeInteger(node.historyMs))
    add('INVALID_ARGUMENT', node, `the history must be a whole number of ms >= 0, got ${node.historyMs}`);
}

/** The store of a table node (toTable, which mapValues and filter are too, or a table-table join). */
function tableStoreOf(node: PlanNode | undefined): StoreSpec | undefined {
  return node?.kind === 'toTable' || node?.kind === 'tableTableJoin' || node?.kind === 'foreignKeyJoin'
    ? node.store
    : undefined;
}

/** Both inputs are the tables named by `tableStores`, with the same key format (co-partitioned keys). */
function validateTableJoin(
  plan: Plan,
  node: TableTableJoinNode,
  add: (code: PlanIssue['code'], node: PlanNode, message: string) => void,
): void {
  const sides = ['left', 'right'] as const;
  const stores = sides.map((side, index) => {
    const store = tableStoreOf(plan.nodes[node.inputs[index] ?? -1]);
    if (store?.name === node.tableStores[index]) return store;
    add(
      'INVALID_ARGUMENT',
      node,
      `the ${side} input must be the table whose store is '${node.tableStores[index]}' (a table of pipeline.table, toTable, mapValues, filter or a table join; an aggregation's table can join after mapValues)`,
    );
    return undefined;
  });
  const [left, right] = stores;
  if (
    left !== undefined &&
    right !== undefined &&
    JSON.stringify(left.keyFormat) !== JSON.stringify(right.keyFormat)
  )
    add(
      'KEY_FORMAT_MISMATCH',
      node,
      `table '${left.name}'s keys are encoded as ${left.keyFormat.kind} and table '${right.name}'s as ${right.keyFormat.kind}: equal keys would land in different partitions; give both the same key format (keyBy() keys are json)`,
    );
}

/** True when every path from `id` back to a source passes an eventTime node. */
function hasEventTime(plan: Plan, id: number | undefined): boolean {
  if (id === undefined) return false;
  const node = plan.nodes[id];
  if (node === undefined || node.kind === 'source') return false;
  if (node.kind === 'eventTime') return true;
  // A stream-table join's records and time are its stream's (input 0); the table only answers lookups.
  if (node.kind === 'streamTableJoin' || node.kind === 'globalTableJoin')
    return hasEventTime(plan, node.inputs[0]);
  return node.inputs.length > 0 && node.inputs.every((input) => input < id && hasEventTime(plan, input));
}

/**
 * Nodes whose output is keyed and partitioned by its key: a keyBy (repartitioned when it feeds state),
 * groupByKey, and keyed operators, whose output keeps their input's key and partitioning.
 */
const keySettingKinds: ReadonlySet<PlanNode['kind']> = new Set([
  'keyBy',
  'groupByKey',
  'toStream',
  ...keyedStatefulKinds,
]);

/** The inputs whose records (and keys) a node passes on: a global-table join's stream side only. */
function keyInputs(node: PlanNode): readonly number[] {
  return node.kind === 'globalTableJoin' ? node.inputs.slice(0, 1) : node.inputs;
}

/**
 * The nodes that set the key of `id`'s records: going upstream, the first source, keyBy, or keyed
 * operator (whose output keeps its input's partitioning) on every path.
 */
function keyOrigins(plan: Plan, id: number | undefined): PlanNode[] {
  if (id === undefined) return [];
  const node = plan.nodes[id];
  if (node === undefined) return [];
  if (node.kind === 'source' || keySettingKinds.has(node.kind)) return [node];
  return keyInputs(node)
    .filter((input) => input < id)
    .flatMap((input) => keyOrigins(plan, input));
}

/** True when every path from `id` back to a source passes a keyBy (through key-preserving operators). */
function isKeyed(plan: Plan, id: number | undefined): boolean {
  if (id === undefined) return false;
  const node = plan.nodes[id];
  if (node === undefined || node.kind === 'source') return false;
  // A table's changelog stream and a keyed operator's output carry the key they were grouped by.
  if (keySettingKinds.has(node.kind)) return true;
  const inputs = keyInputs(node);
  return inputs.length > 0 && inputs.every((input) => input < id && isKeyed(plan, input));
}
