import type { WireRecord } from './api-types.ts';

/** A record as the views list it: where it is, and its text. */
export interface ShownRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: WireRecord['headers'];
}

/** A value shown whole up to this many characters, then cut (the full text is in the cell's title). */
export const VALUE_CHARS = 400;

export const clip = (text: string | null): string =>
  text === null ? 'null' : text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text;
