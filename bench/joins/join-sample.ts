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
