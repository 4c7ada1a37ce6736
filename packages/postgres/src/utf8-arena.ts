/**
 * Encodes strings to UTF-8 into shared 256 KiB chunks and hands out views of them, instead of one
 * allocation per string (the CDC hot path encodes a value, a key and an LSN per change). A view keeps
 * its whole chunk alive, so use it for records that are handed on and dropped together, as batches are.
 */
const CHUNK_BYTES = 256 * 1024;

export class Utf8Arena {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  encode(text: string): Uint8Array {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    const worst = text.length * 3;
    if (worst > CHUNK_BYTES / 4) return Buffer.from(text, 'utf8');
    if (this.used + worst > CHUNK_BYTES) {
      this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.used += this.chunk.write(text, start, 'utf8');
    return this.chunk.subarray(start, this.used);
  }
}
