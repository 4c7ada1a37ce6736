import { EngineError } from './engine-error.ts';

const unitMs: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

/** A duration as users write it at the edge: a number of milliseconds, or a string such as '500ms', '30m', '1h30m'. */
export type Duration = number | string;

/** Parses a user duration into whole milliseconds. Throws INVALID_DURATION for anything else. */
export function parseDuration(input: Duration): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return Math.round(input);
    throw new EngineError('INVALID_DURATION', `duration must be a finite number >= 0, got ${input}`);
  }
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (match === null) break;
    total += Number(match[1]) * unitMs.get(match[2]!)!;
    index = part.lastIndex;
  }
  if (index !== text.length || text.length === 0) {
    throw new EngineError(
      'INVALID_DURATION',
      `cannot parse duration '${input}' (examples: '500ms', '5s', '30m', '1h30m')`,
    );
  }
  return Math.round(total);
}
