import { murmur2 } from '../../model/index.ts';

/**
 * HyperLogLog sketches for approximate distinct counts: 2^11 one-byte registers (standard error about
 * 1.04 / sqrt(2048) = 2.3%), 32-bit murmur2 hashes of the values' JSON. Sketches merge by taking the
 * larger register, so partial counts combine exactly as if all values had gone into one sketch.
 */
const P = 11;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
const TWO_32 = 2 ** 32;

export function emptySketch(): Uint8Array {
  return new Uint8Array(M);
}

/** Adds `value` to `registers` in place. */
export function sketchAdd(registers: Uint8Array, value: unknown): void {
  const hash = murmur2(Buffer.from(JSON.stringify(value) ?? 'null')) >>> 0;
  const index = hash >>> (32 - P);
  const rest = (hash << P) >>> 0;
  const rank = Math.min(Math.clz32(rest) + 1, 32 - P + 1);
  if (rank > registers[index]!) registers[index] = rank;
}

export function sketchMerge(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(M);
  for (let i = 0; i < M; i++) out[i] = Math.max(a[i]!, b[i]!);
  return out;
}

/** The estimated number of distinct values added (with the usual small- and large-range corrections). */
export function sketchEstimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    sum += 2 ** -registers[i]!;
    if (registers[i] === 0) zeros++;
  }
  let estimate = (ALPHA * M * M) / sum;
  if (estimate <= 2.5 * M && zeros > 0) estimate = M * Math.log(M / zeros);
  else if (estimate > TWO_32 / 30) estimate = -TWO_32 * Math.log(1 - estimate / TWO_32);
  return Math.round(estimate);
}
