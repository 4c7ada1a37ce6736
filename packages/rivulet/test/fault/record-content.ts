/**
 * Deterministic record content for fault tests: a record's value is a pure function of its id, so the
 * parent can check the exact bytes of every record it reads back, acknowledged or not, without having
 * been told them.
 */

/** FNV-1a over the UTF-16 code units of `text` (ids are ASCII), as an unsigned 32-bit integer. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The value of the record with id `id`: the id, a separator and `minLength..maxLength` characters from a
 * sequence seeded by the id's hash (so a record shifted, truncated or swapped with another never matches).
 */
export function recordValue(id: string, minLength = 8, maxLength = 64): string {
  let h = fnv1a(id);
  const length = minLength + (h % (maxLength - minLength + 1));
  const chars: string[] = [id, '|'];
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h + 0x6d2b79f5) >>> 0;
    chars.push(ALPHABET[h % ALPHABET.length]!);
  }
  return chars.join('');
}
