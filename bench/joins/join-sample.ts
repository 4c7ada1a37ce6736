/** What a stream-table case takes: the sizes of its pre-filled input. */
export interface StreamTableRequest {
  /** Distinct keys of the products table topic. */
  products: number;
  /** Records of the orders topic. */
  orders: number;
}

/**
 * One timed pass of a join case over pre-filled input: `records` stream records (orders) in `seconds`,
 * the table load included, and what came out.
 */
export interface JoinSample {
  /** Stream records (orders) read; records/s is this over `seconds`. */
  records: number;
  /** Table records loaded (one per key). */
  tableRecords: number;
  /** Join results emitted. */
  results: number;
  /** The sum of the results' amounts (the checksum the cross-check compares). */
  amountSum: number;
  /** What an inner join of this input must emit, from the fill. */
  expectedResults: number;
  expectedAmountSum: number;
  seconds: number;
  /** From the start of timing until the first join result was appended: about the table load. */
  firstOutputMs: number | undefined;
  /** Checkpoints the runner took during the pass (engine cases only). */
  checkpoints?: number;
  /** Engine cases: how long `engine.run` took (not part of `seconds`, which runs from when it resolved). */
  startMs?: number;
  /** process.hrtime of the timed window in microseconds, to cut a CPU profile to it. */
  windowUs: [number, number];
}

/** What a stream-stream case takes: the sizes of its pre-filled input (EVENT_RATE fixes the time span). */
export interface StreamStreamRequest {
  /** Records of each of the two topics (impressions and clicks), flush records not included. */
  recordsPerTopic: number;
  /** Distinct ads both topics draw their keys from (uniformly). */
  keys: number;
}

/** One timed pass of a stream-stream case over pre-filled input, and what came out. */
export interface StreamStreamSample {
  /** Input records of both topics (flush records not included); records/s is this over `seconds`. */
  records: number;
  /** Pairs emitted (join results). */
  pairs: number;
  /** The sum of pairWeight(impression id, click id) over the pairs emitted. */
  checksum: number;
  /** Records found late (never joined): the engine's `status().late`, the floor's own count. */
  late: number;
  seconds: number;
  /**
   * Engine cases: how far the resident set grew during the timed run, the largest RSS sampled at each
   * lag poll (every 2 ms) minus the RSS at its start, after a full garbage collection: the join state
   * and the run's working memory, not what filling the input left behind.
   */
  runRssGrowthBytes?: number;
  /**
   * Engine cases: the largest heap in use right after a full garbage collection, forced about once a
   * second during the timed run: the live memory (join state, write cache, buffers), without the garbage
   * and allocator slack that RSS also holds.
   */
  liveHeapPeakBytes?: number;
  /** Engine cases: the most entries the join's store held at a checkpoint (`status().storeEntries`). */
  stateEntriesPeak?: number;
  /** The floor: the most records its buffers held at once (both sides and partitions). */
  peakStateRecords?: number;
  /** Engine cases: checkpoints the runner took during the pass. */
  checkpoints?: number;
  /** Engine cases: how long `engine.run` took (not part of `seconds`, which runs from when it resolved). */
  startMs?: number;
  /** process.hrtime of the timed window in microseconds, to cut a CPU profile to it. */
  windowUs: [number, number];
}
