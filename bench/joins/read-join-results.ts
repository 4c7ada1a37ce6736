import type { Log } from '../../packages/rivulet/src/index.ts';
import { forEachJsonValue } from '../read-topic-values.ts';
import { type AdMatch, pairWeight } from './stream-stream-pipeline.ts';
import type { JoinedOrder } from './stream-table-pipeline.ts';

/** Counts the join results in `topic` (all of it, after the run stopped) and adds up their amounts. */
export async function readJoinResults(
  log: Log,
  topic: string,
): Promise<{ results: number; amountSum: number }> {
  let results = 0;
  let amountSum = 0;
  await forEachJsonValue(log, topic, (value) => {
    results++;
    amountSum += (value as JoinedOrder).amount;
  });
  return { results, amountSum };
}

/** Counts the stream-stream pairs in `topic` (all of it, after the run stopped) and adds up pairWeight. */
export async function readMatchResults(
  log: Log,
  topic: string,
): Promise<{ pairs: number; checksum: number }> {
  let pairs = 0;
  let checksum = 0;
  await forEachJsonValue(log, topic, (value) => {
    const match = value as AdMatch;
    pairs++;
    checksum += pairWeight(match.imp, match.click);
  });
  return { pairs, checksum };
}
