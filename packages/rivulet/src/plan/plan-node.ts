/**
 * The plan: a pipeline as a graph of kind-tagged nodes. Nodes are frozen plain data (JSON-serialisable);
 * user functions are not inlined but named by a `FunctionRef` into the plan's function table, so a plan
 * can be printed, compared, shipped to another process (which rebuilds the functions by loading the same
 * pipeline module) and explained. Front ends (DSL, SQL) emit plans; the runtime compiles them.
 */

/** A key into `Plan.functions`. */
export type FunctionRef = string;

/** How a key or value is encoded in a topic or store. `schema` validates decoded JSON (Standard Schema). */
export type FormatSpec =
  | { readonly kind: 'json'; readonly schema?: FunctionRef }
  | { readonly kind: 'string' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'float64' }
  /**
   * Any structured-clone value, kept exactly: plain JSON data as JSON, anything else (Date, Map, BigInt,
   * undefined fields...) through v8.serialize. Internal topics and aggregation state use it.
   */
  | { readonly kind: 'structured' }
  /** A user-given serde (`custom(serde)` in the DSL): its functions are in the plan's function table. */
  | {
      readonly kind: 'custom';
      readonly name: string;
      readonly encode: FunctionRef;
      readonly decode: FunctionRef;
    };

/** A keyed store owned by a stateful operator; its changelog topic is derived from pipeline and name. */
export interface StoreSpec {
  readonly name: string;
  readonly keyFormat: FormatSpec;
  readonly valueFormat: FormatSpec;
  readonly ttlMs?: number;
  /**
   * A global table's store: every task that uses it holds the whole table, read from its topic's
   * partitions from the start at every start; no changelog (the topic is its changelog).
   */
  readonly global?: true;
  /**
   * A processor store whose values the runtime may keep decoded between checkpoints (`keepDecoded` in
   * the DSL's StoreDefinition): the processor replaces values, never mutates one it got without setting it.
   */
  readonly keepDecoded?: true;
}

interface NodeBase<K extends string> {
  readonly id: number;
  readonly kind: K;
  readonly inputs: readonly number[];
}

/** Reads a topic of the log. `name` is user-given and unique in the pipeline. */
export interface SourceNode extends NodeBase<'source'> {
  readonly name: string;
  readonly topic: string;
  readonly keyFormat: FormatSpec;
  readonly valueFormat: FormatSpec;
  /** Where to start when the pipeline has no checkpoint yet. */
  readonly startFrom: 'earliest' | 'latest';
  /**
   * 'table': the topic of a table (`pipeline.table`): at start a task reads it up to its end as of then
   * before any other input, and in every step before the others. 'globalTable' (`pipeline.globalTable`):
   * the same, but every task using it reads all of its partitions, from the start at every start.
   */
  readonly role?: 'table' | 'globalTable';
  /**
   * An in-process generator instead of a log topic (`topic` is then only the name its positions have in
   * checkpoints): `size(partition)` records per partition, `open(partition)` opens one where its task
   * runs.
   */
  readonly generator?: {
    readonly partitions: number;
    readonly size: FunctionRef;
    readonly open: FunctionRef;
  };
  /**
   * A source connector (an external system: `() => SourceConnector`): the runtime ingests what it reads
   * into `topic` (the pipeline's ingest topic, one partition per split), recording the connector's
   * positions in checkpoints; tasks read that topic.
   */
  readonly connector?: FunctionRef;
}

export interface MapNode extends NodeBase<'map'> {
  readonly fn: FunctionRef;
}

export interface FilterNode extends NodeBase<'filter'> {
  readonly fn: FunctionRef;
}

export interface FlatMapNode extends NodeBase<'flatMap'> {
  readonly fn: FunctionRef;
}

export interface PeekNode extends NodeBase<'peek'> {
  readonly fn: FunctionRef;
}

/** Interleaves its inputs (no order between inputs; order per input is kept). */
export interface MergeNode extends NodeBase<'merge'> {}

/** Sets a new key; a stateful operator downstream makes the runtime repartition on it. */
export interface KeyByNode extends NodeBase<'keyBy'> {
  readonly fn: FunctionRef;
  readonly keyFormat: FormatSpec;
}

/**
 * Declares the stream's current record key (a source's key, decoded by its key format) the grouping
 * key, without repartitioning: the records must already be partitioned by it, by murmur2 of the key
 * bytes (Rivulet's and Kafka's default partitioner). The runtime rejects a record whose key hashes to
 * another partition (COPARTITION_MISMATCH) or that has no key.
 */
export interface GroupByKeyNode extends NodeBase<'groupByKey'> {}

/** Routes each record to the first branch whose predicate accepts it; `BranchOutputNode`s read them. */
export interface BranchNode extends NodeBase<'branch'> {
  readonly name: string;
  readonly predicates: readonly FunctionRef[];
  readonly branchNames: readonly string[];
}

/** Branch `index` of a BranchNode; index === predicates.length is the default branch (no predicate matched). */
export interface BranchOutputNode extends NodeBase<'branchOutput'> {
  readonly index: number;
}

export type AggregateOp = 'reduce' | 'aggregate' | 'count' | 'sum' | 'min' | 'max';

/**
 * Folds the records of each key into one value held in `store`, producing a table (one upsert per input
 * record). reduce: `add(acc, value)` seeded by the first value; aggregate: `init()` then
 * `add(acc, value, key)`; count; sum/min/max of `add(value)` (a number extractor).
 */
export interface AggregateNode extends NodeBase<'aggregate'> {
  readonly name: string;
  readonly op: AggregateOp;
  readonly init?: FunctionRef;
  readonly add?: FunctionRef;
  readonly store: StoreSpec;
}

/** The changelog of a table as a stream of `{ key, value }` (value null = deleted). */
export interface ToStreamNode extends NodeBase<'toStream'> {}

/**
 * Materialises a keyed changelog into a table: the latest value per key in `store`, a null value
 * deleting the key. With `map`, each value is mapped first (a table's `mapValues`); with `filter`, a
 * value it rejects deletes the key. Emits each change of the table: the new value, or null when a key
 * that was present is deleted (no tombstone for a key that was absent).
 */
export interface ToTableNode extends NodeBase<'toTable'> {
  readonly store: StoreSpec;
  readonly map?: FunctionRef;
  readonly filter?: FunctionRef;
}

/**
 * A foreign-key table join (Kafka Streams' KTable-KTable foreign-key join, with the other side a global
 * table): each row v of the left table (input 0) joins the row of the global table (input 1) under the
 * key `fkFn(v, k)`; the result is a table keyed like the left one, in `store`. A change of a left row
 * recomputes its result; a change of a global row recomputes every left row pointing at it, found
 * through `indexStore` (byte keys: each left key's current foreign key, and foreign key -> left keys).
 * `inner`: a result when both rows exist; `left`: when the left row exists.
 */
export interface ForeignKeyJoinNode extends NodeBase<'foreignKeyJoin'> {
  readonly name: string;
  readonly join: 'inner' | 'left';
  readonly fkFn: FunctionRef;
  readonly fn: FunctionRef;
  readonly store: StoreSpec;
  readonly indexStore: StoreSpec;
  /** The stores of the left table and of the global table (inputs 0 and 1). */
  readonly tableStores: readonly [left: string, global: string];
}

/**
 * Joins each record of a stream (input 0, keyed or not) with the row of a global table (input 1, a
 * toTable node over a 'globalTable' source) under the key `keyFn(value, key)` computes: `inner` drops
 * records without a row, `left` joins them with undefined. Keeps the record's key; no co-partitioning.
 */
export interface GlobalTableJoinNode extends NodeBase<'globalTableJoin'> {
  readonly join: 'inner' | 'left';
  readonly keyFn: FunctionRef;
  readonly fn: FunctionRef;
  /** The store of the global table (input 1). */
  readonly tableStore: string;
}

/**
 * Joins each record of a keyed stream (input 0) with the current row of its key in a table (input 1, a
 * toTable or tableTableJoin node of the same sub-topology, read through its store): `inner` drops
 * records whose key has no row, `left` calls the joiner with undefined. Table changes do not trigger
 * output.
 */
export interface StreamTableJoinNode extends NodeBase<'streamTableJoin'> {
  readonly join: 'inner' | 'left';
  readonly fn: FunctionRef;
  /** The store of the table (input 1). */
  readonly tableStore: string;
  /** How the stream's keys are encoded: must be the table's, or equal keys would partition differently. */
  readonly keyFormat: FormatSpec;
}

/**
 * A temporal (as-of event time) join of a keyed stream (input 0) with the versions of a table (input 1, a
 * table node: toTable, mapValues, filter or a table join). The versions are the records written to the
 * table, each a value (or a deletion) of its key at its timestamp: for a toTable chain, every record
 * reaching its first toTable through the chain's map and filter functions (deletions of absent keys
 * included, which the table's changelog leaves out), otherwise the table's changelog. A record at t
 * joins its key's version with the largest time <= t (none, or a deletion: `inner` drops it, `left`
 * joins undefined); it waits in `store` until the watermark (min of both inputs') passes t, so results
 * are independent of arrival order. A record behind the watermark, or a version more than `historyMs`
 * behind it, goes as `{ side, value }` to the node's `windowLate` output.
 */
export interface TemporalJoinNode extends NodeBase<'temporalJoin'> {
  readonly name: string;
  readonly join: 'inner' | 'left';
  readonly historyMs: number;
  readonly fn: FunctionRef;
  readonly store: StoreSpec;
  /** The store of the table (input 1). */
  readonly tableStore: string;
  /** How the stream's keys are encoded: must be the table's, or equal keys would partition differently. */
  readonly keyFormat: FormatSpec;
}

/**
 * Joins two keyed event-time streams (input 0 left, input 1 right) record by record: a left record at
 * tl and a right record at tr of the same key join iff |tl - tr| <= withinMs. Every joining pair is
 * emitted once, when the later-processed of the two arrives, timestamped max(tl, tr). `left` also emits
 * each left record that joined nothing as (left, undefined) at tl once the watermark passes
 * tl + withinMs + allowedLatenessMs; `outer` does the same for right records. The watermark is the min
 * of both inputs'; records wait in `store` (keyed by side, key and time, plus a time index) until it
 * passes their time + withinMs + allowedLatenessMs. A record older than watermark - allowedLatenessMs
 * on arrival goes, as `{ side, value }`, to the node's `windowLate` output instead.
 */
export interface StreamStreamJoinNode extends NodeBase<'streamStreamJoin'> {
  readonly name: string;
  readonly join: 'inner' | 'left' | 'outer';
  readonly withinMs: number;
  readonly allowedLatenessMs: number;
  readonly fn: FunctionRef;
  readonly store: StoreSpec;
  /** How each input's keys are encoded: they must be the same, or equal keys would partition differently. */
  readonly keyFormats: readonly [left: FormatSpec, right: FormatSpec];
}

/**
 * Joins two tables on their key (input 0 left, input 1 right: table nodes, toTable or tableTableJoin,
 * of the same sub-topology) into a table kept in `store`: each change of either table recomputes its
 * key's row from the change and the other table's current row (read through `tableStores`). `inner`:
 * both rows present; `left`: the left one; `outer`: either; otherwise, or when `fn` returns null, the
 * key has no row. Emits the result table's changelog: a changed row, or null when a row disappears.
 */
export interface TableTableJoinNode extends NodeBase<'tableTableJoin'> {
  readonly name: string;
  readonly join: 'inner' | 'left' | 'outer';
  readonly fn: FunctionRef;
  readonly store: StoreSpec;
  /** The stores of the left and right tables (inputs 0 and 1). */
  readonly tableStores: readonly [left: string, right: string];
}

/**
 * Low-level per-key processing with stores and timers: `fn` handles a record, `onTimer` a due timer.
 * `timerStore` holds the pending processing-time timers (durable like any store).
 */
export interface ProcessNode extends NodeBase<'process'> {
  readonly name: string;
  readonly fn: FunctionRef;
  readonly onTimer?: FunctionRef;
  readonly stores: readonly StoreSpec[];
  readonly timerStore: StoreSpec;
  /** Set by the DSL's `crosses` and `silence`: the processor is that alerting operator (its outputs are alerts). */
  readonly alert?: 'crosses' | 'silence';
}

/** Async mapping with at most `concurrency` calls in flight; results keep input order per key. */
export interface MapAsyncNode extends NodeBase<'mapAsync'> {
  readonly name: string;
  readonly fn: FunctionRef;
  readonly concurrency: number;
}

/**
 * Event time: sets each record's timestamp to `fn(value)` (ms since the epoch, >= 0) and generates the
 * watermark of its input partition: the largest timestamp seen minus `maxOutOfOrderMs` ("no record older
 * than this is expected"). With `idleTimeoutMs`, a partition without records for that long (processing
 * time) stops holding back the watermarks it is combined with.
 */
export interface EventTimeNode extends NodeBase<'eventTime'> {
  readonly fn: FunctionRef;
  readonly maxOutOfOrderMs: number;
  readonly idleTimeoutMs?: number;
}

/** Which event-time windows a record belongs to: `[start, start + size)` windows every `advance`. */
export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeMs: number }
  | { readonly kind: 'hopping'; readonly sizeMs: number; readonly advanceMs: number }
  /** Runs of records of a key less than `gapMs` apart: `[first, last + gap)`, merged as records arrive. */
  | { readonly kind: 'session'; readonly gapMs: number }
  /**
   * Per record at t, rounded down to t' (a multiple of resolutionMs), the key's records whose rounded
   * time is in [t' - sizeMs, t'] ("the last size", per record, exact at that resolution).
   */
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly resolutionMs: number }
  /** Every record of a key, weighted by 2^(-age / halfLife): a score that fades ("trending now"). */
  | { readonly kind: 'decaying'; readonly halfLifeMs: number };

export type WindowAggregateOp =
  | 'count'
  | 'sum'
  | 'min'
  | 'max'
  | 'avg'
  | 'aggregate'
  | 'countDistinct'
  | 'approxCountDistinct'
  | 'topN';

/**
 * Keyed event-time windows: folds each record into the state of its key in each of its windows
 * (`store`, keyed by window end then key). A window closes when the watermark reaches its end plus
 * `allowedLatenessMs`; `emit: 'final'` emits its result once then, `'updates'` after every change. A
 * record whose windows are all closed goes to the node's `windowLate` output instead.
 */
export interface WindowAggregateNode extends NodeBase<'windowAggregate'> {
  readonly name: string;
  readonly window: WindowSpec;
  readonly op: WindowAggregateOp;
  readonly init?: FunctionRef;
  readonly add?: FunctionRef;
  /** `aggregate` only: combines two accumulators (needed by session windows, which merge). */
  readonly merge?: FunctionRef;
  /** `topN` only: how many values to keep. */
  readonly n?: number;
  readonly emit: 'final' | 'updates';
  /** With `emit: 'final'`: also early results of the windows that changed, every this many ms of processing time. */
  readonly earlyEveryMs?: number;
  readonly allowedLatenessMs: number;
  readonly store: StoreSpec;
}

/**
 * The records a windowed aggregation found too late (every window of theirs closed), unchanged; or those
 * a stream-stream or temporal join found too late, as `{ side, value }`.
 */
export interface WindowLateNode extends NodeBase<'windowLate'> {}

/** Writes to a topic of the log. `name` is user-given and unique in the pipeline. */
export interface SinkNode extends NodeBase<'sink'> {
  readonly name: string;
  readonly topic: string;
  readonly keyFormat: FormatSpec;
  readonly valueFormat: FormatSpec;
  /** Drops every record instead (`blackhole()`): `topic` is only a name, never created. */
  readonly blackhole?: true;
  /**
   * A sink connector (`() => SinkConnector`): `topic` is the sink's outbox, whose committed records the
   * runtime delivers to the connector.
   */
  readonly connector?: FunctionRef;
}

export type PlanNode =
  | SourceNode
  | MapNode
  | FilterNode
  | FlatMapNode
  | PeekNode
  | MergeNode
  | KeyByNode
  | GroupByKeyNode
  | BranchNode
  | BranchOutputNode
  | AggregateNode
  | ToStreamNode
  | ToTableNode
  | StreamTableJoinNode
  | GlobalTableJoinNode
  | ForeignKeyJoinNode
  | StreamStreamJoinNode
  | TemporalJoinNode
  | TableTableJoinNode
  | ProcessNode
  | MapAsyncNode
  | EventTimeNode
  | WindowAggregateNode
  | WindowLateNode
  | SinkNode;

export type PlanNodeKind = PlanNode['kind'];

/** Operators that keep state per key and therefore need their input partitioned by key. */
export const keyedStatefulKinds: ReadonlySet<PlanNodeKind> = new Set([
  'aggregate',
  'process',
  'windowAggregate',
  'toTable',
  'streamTableJoin',
  'streamStreamJoin',
  'temporalJoin',
  'tableTableJoin',
  'foreignKeyJoin',
]);

/** A user function of any shape; the runtime casts it by the node kind that references it. */
export type UserFunction = (...args: never[]) => unknown;

/** A whole pipeline. Frozen; `functions` is the only part that is not plain data. */
export interface Plan {
  readonly pipeline: string;
  readonly nodes: readonly PlanNode[];
  readonly functions: ReadonlyMap<FunctionRef, UserFunction>;
}

/** The stores a node owns (aggregations and stream-stream joins: one; processors: theirs plus the timer store). */
export function nodeStores(node: PlanNode): readonly StoreSpec[] {
  if (
    node.kind === 'aggregate' ||
    node.kind === 'windowAggregate' ||
    node.kind === 'toTable' ||
    node.kind === 'streamStreamJoin' ||
    node.kind === 'temporalJoin' ||
    node.kind === 'tableTableJoin'
  )
    return [node.store];
  if (node.kind === 'process') return [...node.stores, node.timerStore];
  if (node.kind === 'foreignKeyJoin') return [node.store, node.indexStore];
  return [];
}

/** A readable label for a node in messages: its name, or kind#id. */
export function nodeLabel(node: PlanNode): string {
  return 'name' in node ? `${node.kind} '${node.name}'` : `${node.kind}#${node.id}`;
}
