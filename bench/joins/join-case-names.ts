/**
 * The case names of the joins suite, in one place: the suite, the child-process dispatcher and the
 * bars refer to cases by these.
 */
export const JOIN_CASES = {
  /** A child that loads the benchmark and exits: the RSS floor of a case process. */
  idle: 'node-idle',
  engineStreamTable: 'engine-stream-table',
  floorStreamTable: 'floor-stream-table',
  engineStreamStream: 'engine-stream-stream',
  floorStreamStream: 'floor-stream-stream',
  /** The RSS pair (once per run): engine-stream-stream at the pair's base length and twice as long. */
  engineStreamStream1x: 'engine-stream-stream-1x',
  engineStreamStream2x: 'engine-stream-stream-2x',
} as const;

export type JoinCaseName = (typeof JOIN_CASES)[keyof typeof JOIN_CASES];

/** The same-run baseline of each case that has one (records/s and first-output-ms are compared to it). */
export const JOIN_BASELINES: Readonly<Record<string, string>> = {
  [JOIN_CASES.engineStreamTable]: JOIN_CASES.floorStreamTable,
  [JOIN_CASES.engineStreamStream]: JOIN_CASES.floorStreamStream,
};
