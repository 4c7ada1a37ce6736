import type { JoinSample, StreamStreamSample } from './join-sample.ts';
import type { ExpectedPairs } from './stream-stream-expected.ts';

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The correctness cross-check of one join type in one repeat: every case emitted exactly the results
 * its input calls for (as many as there are orders whose key is in the table, with the expected sum of
 * amounts), and all cases the same count and sum. Throws (failing the suite) otherwise: a speed of wrong
 * results is no speed.
 */
export function crossCheckJoins(
  kind: string,
  samples: ReadonlyArray<{ name: string; join: JoinSample }>,
): void {
  const problems: string[] = [];
  for (const { name, join } of samples) {
    if (join.results !== join.expectedResults)
      problems.push(`${name}: ${fmt(join.results)} join results, expected ${fmt(join.expectedResults)}`);
    if (join.amountSum !== join.expectedAmountSum)
      problems.push(
        `${name}: amounts add up to ${fmt(join.amountSum)}, expected ${fmt(join.expectedAmountSum)}`,
      );
  }
  const differ = (pick: (join: JoinSample) => number): boolean =>
    new Set(samples.map(({ join }) => pick(join))).size > 1;
  if (differ((j) => j.results))
    problems.push(
      `join results differ: ${samples.map(({ name, join }) => `${name} ${fmt(join.results)}`).join(', ')}`,
    );
  if (differ((j) => j.amountSum))
    problems.push(
      `amount sums differ: ${samples.map(({ name, join }) => `${name} ${fmt(join.amountSum)}`).join(', ')}`,
    );
  if (differ((j) => j.expectedResults) || differ((j) => j.expectedAmountSum))
    problems.push('the cases were filled with different input');
  if (problems.length > 0) throw new Error(`${kind} cross-check failed:\n  ${problems.join('\n  ')}`);
}

/**
 * The cross-check of stream-stream cases over the same input: every case saw no late record and emitted
 * exactly the pairs `expected` counts (computed from the generators by expectedPairs, not by any case),
 * with the same checksum; so all cases emitted the same pairs. Throws (failing the suite) otherwise.
 */
export function crossCheckStreamJoins(
  kind: string,
  expected: ExpectedPairs,
  samples: ReadonlyArray<{ name: string; join: StreamStreamSample }>,
): void {
  const problems: string[] = [];
  for (const { name, join } of samples) {
    if (join.late !== 0) problems.push(`${name}: ${fmt(join.late)} records late`);
    if (join.pairs !== expected.pairs)
      problems.push(`${name}: ${fmt(join.pairs)} pairs, expected ${fmt(expected.pairs)}`);
    if (join.checksum !== expected.checksum)
      problems.push(`${name}: pair checksum ${fmt(join.checksum)}, expected ${fmt(expected.checksum)}`);
  }
  if (problems.length > 0) throw new Error(`${kind} cross-check failed:\n  ${problems.join('\n  ')}`);
}
