/**
 * PostgreSQL log sequence numbers (`16/B374D848`: two 32-bit hex halves) as bigints, for comparing and
 * stepping; text in Postgres's own form (upper-case hex, no padding) for positions, values and headers.
 */

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The LSN as a bigint, or undefined when `text` is not an LSN. */
export function parseLsn(text: string): bigint | undefined {
  const match = LSN.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  const high = Number(lsn >> 32n);
  const low = Number(lsn & 0xffffffffn);
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}
