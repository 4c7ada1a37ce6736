/** Bytes of header digits allocated at once. */
const SLAB = 16 * 1024;

/**
 * Writes numbers as ASCII digits (provenance header values) into shared 16 KiB slabs, so a header value
 * costs a sub-array, not an allocation. The returned bytes are never overwritten (a full slab is replaced).
 */
export class DigitSlab {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  /** `n` (a non-negative safe integer) as ASCII digits. */
  of(n: number): Uint8Array {
    let length = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) length++;
    if (this.used + length > this.slab.length) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.used = 0;
    }
    const start = this.used;
    let i = start + length;
    this.used = i;
    do {
      this.slab[--i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    return this.slab.subarray(start, start + length);
  }
}
