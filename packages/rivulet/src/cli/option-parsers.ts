/**
 * Parsers for command-line option values, for commander's `argParser`. Each returns the parsed value or
 * throws commander's InvalidArgumentError, so a malformed value is a usage error (exit code 2) reported
 * by commander with the option's name.
 */
import { InvalidArgumentError } from 'commander';
import { type DurabilityOptions, resolveDurability } from '../log/index.ts';
import { isEngineError, parseDuration } from '../model/index.ts';

/** A whole number >= 0 written in decimal digits ('0', '12'); anything else is refused. */
export function parseNonNegativeInteger(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number >= 0.');
  return n;
}

/** A whole number >= 1. */
export function parsePositiveInteger(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1.');
  return n;
}

/** A duration such as '500ms', '7d', '1h30m' or a plain number of milliseconds; returns milliseconds. */
export function parseDurationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (isEngineError(error)) throw new InvalidArgumentError(`${error.message}.`);
    throw error;
  }
}

/**
 * A durability mode: 'fsync', 'none' or 'interval(<duration>)'. Returns it in the form TopicOptions takes,
 * with the interval normalised to milliseconds.
 */
export function parseDurability(value: string): DurabilityOptions {
  let config: ReturnType<typeof resolveDurability>;
  try {
    config = resolveDurability(value as DurabilityOptions);
  } catch (error) {
    if (isEngineError(error)) throw new InvalidArgumentError(`${error.message}.`);
    throw error;
  }
  return config.mode === 'interval' ? { interval: config.intervalMs } : config.mode;
}

const isoDate = /^\d{4}-\d{2}-\d{2}/;

/**
 * A point in time: epoch milliseconds ('1700000000000') or an ISO-8601 date/time ('2024-05-01',
 * '2024-05-01T12:00:00Z'; without a zone, a date-time is local time and a bare date is UTC, as in
 * `Date.parse`). Returns epoch milliseconds.
 */
export function parseTimestamp(value: string): number {
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (isoDate.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError(
    'expected epoch milliseconds or an ISO-8601 time such as 2024-05-01T12:00:00Z.',
  );
}
