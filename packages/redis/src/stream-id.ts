/**
 * Redis stream entry ids (`<ms>-<seq>`, two unsigned 64-bit numbers) as the text the source uses for its
 * positions. Compared numerically, never as strings ('9-0' < '10-0').
 */
const ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX = (1n << 64n) - 1n;

/** True for a well-formed id whose parts fit in 64 bits. */
export function isStreamId(text: string): boolean {
  const match = ID.exec(text);
  return match !== null && BigInt(match[1]!) <= MAX && BigInt(match[2]!) <= MAX;
}

/** Negative, zero or positive as `a` is before, equal to or after `b` (both well-formed). */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  const msA = a.slice(0, dashA);
  const msB = b.slice(0, dashB);
  if (msA !== msB) return compareDigits(msA, msB);
  return compareDigits(a.slice(dashA + 1), b.slice(dashB + 1));
}

/** The id's millisecond part as a number (exact for any real clock time). */
export function streamIdMillis(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function compareDigits(a: string, b: string): number {
  // Ids come from Redis (no leading zeros) or from isStreamId-checked text; strip zeros to be safe.
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
