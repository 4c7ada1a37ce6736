/**
 * Turns one JSON input line of `rivulet produce` into a record, or says why the line is bad. The value
 * is the line's JSON re-serialised (compact); the key, when a key field is named, is that top-level
 * field of the line's object: a string as is, a number or boolean as its JSON text.
 */
import type { ProducerRecord } from '../model/index.ts';
import type { InputLine } from './read-lines.ts';

/** Why a line was refused. `code` is stable; `message` is for people. */
export interface BadLine {
  line: number;
  code: 'INVALID_JSON' | 'INVALID_RECORD' | 'RECORD_TOO_LARGE';
  message: string;
}

export interface LineRecordOptions {
  /** Top-level field whose value becomes the key; undefined leaves records unkeyed. */
  keyField: string | undefined;
  /** Target partition for every record; undefined lets the key (or round-robin) decide. */
  partition: number | undefined;
  /** The topic's record size limit; a line over it is refused here rather than failing the append. */
  maxRecordBytes: number;
}

/**
 * Bytes a record may take beyond its key and value as the log counts them: at most 19 bytes of varint
 * framing plus 20 bytes of batch share. Using this upper bound, a record within 39 bytes of the limit may
 * be refused although the log would take it; none the log would refuse gets through.
 */
const RECORD_OVERHEAD_BYTES = 39;

export type LineResult = { record: ProducerRecord; bad?: undefined } | { record?: undefined; bad: BadLine };

export function parseLineRecord(line: InputLine, options: LineRecordOptions): LineResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.text);
  } catch (error) {
    return {
      bad: { line: line.number, code: 'INVALID_JSON', message: `not JSON: ${(error as Error).message}` },
    };
  }
  let key: string | null = null;
  if (options.keyField !== undefined) {
    const field = options.keyField;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {
        bad: {
          line: line.number,
          code: 'INVALID_RECORD',
          message: `not a JSON object, so it has no field '${field}'`,
        },
      };
    }
    const value: unknown = Object.hasOwn(parsed, field)
      ? (parsed as Record<string, unknown>)[field]
      : undefined;
    if (typeof value === 'string') key = value;
    else if (typeof value === 'number' || typeof value === 'boolean') key = JSON.stringify(value);
    else {
      return {
        bad: {
          line: line.number,
          code: 'INVALID_RECORD',
          message:
            value === undefined
              ? `key field '${field}' is missing`
              : `key field '${field}' is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'}; it must be a string, number or boolean`,
        },
      };
    }
  }
  const value = JSON.stringify(parsed);
  const size = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key)) + RECORD_OVERHEAD_BYTES;
  if (size > options.maxRecordBytes) {
    return {
      bad: {
        line: line.number,
        code: 'RECORD_TOO_LARGE',
        message: `the record would take about ${size} bytes, over the topic's limit of ${options.maxRecordBytes}`,
      },
    };
  }
  const record: ProducerRecord = { key, value };
  if (options.partition !== undefined) record.partition = options.partition;
  return { record };
}
