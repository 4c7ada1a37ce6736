import { EngineError, type Headers } from '../model/index.ts';
import type { OutputWriter } from './output-writer.ts';
import type { StreamRecord } from './stream-record.ts';

/**
 * What to do with a record that fails at a boundary: stop the pipeline (`fail`, the default), drop it
 * and count it (`skip`), or write it to a dead-letter topic and go on (`{ deadLetter: topic }`).
 */
export type ErrorPolicy = 'fail' | 'skip' | { deadLetter: string };

/** deserialize: decoding an input record; process: a user function; produce: encoding an output. */
export type Boundary = 'deserialize' | 'process' | 'produce';

export type ErrorPolicies = Partial<Record<Boundary, ErrorPolicy>>;

/** Where a record being processed was read from; set by the task before each batch. */
export interface RecordSource {
  topic: string;
  partition: number;
}

const text = (value: string | number): Uint8Array => Buffer.from(String(value));

/**
 * Applies the pipeline's error policies. `handle` throws the error under `fail`; otherwise it counts the
 * record, writes the dead letter when asked, and returns so the caller drops the record. A dead letter
 * is the record's raw key and value as the task read them, its headers, and `rivulet.*` headers naming
 * the source topic, partition and offset, the operator, the boundary, and the error's code and message.
 */
export class ErrorRouter {
  readonly #policies: ErrorPolicies;
  readonly #writer: (topic: string) => OutputWriter;
  readonly counts = new Map<Boundary, { skipped: number; deadLettered: number }>();
  source: RecordSource = { topic: '', partition: -1 };

  constructor(policies: ErrorPolicies, writer: (topic: string) => OutputWriter) {
    this.#policies = policies;
    this.#writer = writer;
  }

  handle(
    boundary: Boundary,
    error: EngineError,
    record: StreamRecord | undefined,
    raw?: {
      key: Uint8Array | null;
      value: Uint8Array | null;
      timestamp: number;
      headers: Headers | undefined;
      offset: number;
    },
  ): void {
    const policy = this.#policies[boundary] ?? 'fail';
    if (policy === 'fail') throw error;
    let count = this.counts.get(boundary);
    if (count === undefined) {
      count = { skipped: 0, deadLettered: 0 };
      this.counts.set(boundary, count);
    }
    if (policy === 'skip') {
      count.skipped++;
      return;
    }
    const origin = raw ?? record?.origin;
    const headers: Headers = new Map(origin?.headers ?? record?.headers ?? []);
    headers.set('rivulet.source.topic', text(this.source.topic));
    headers.set('rivulet.source.partition', text(this.source.partition));
    headers.set('rivulet.source.offset', text(origin?.offset ?? record?.offset ?? -1));
    headers.set('rivulet.operator', text(String(error.details.operator ?? '')));
    headers.set('rivulet.boundary', text(boundary));
    headers.set('rivulet.error.code', text(error.code));
    headers.set('rivulet.error.message', text(error.message));
    this.#writer(policy.deadLetter).write(
      origin?.key ?? null,
      origin?.value ?? null,
      origin?.timestamp ?? record?.timestamp ?? 0,
      headers,
    );
    count.deadLettered++;
  }
}

/** The dead-letter topics the policies name. */
export function deadLetterTopics(policies: ErrorPolicies): string[] {
  return Object.values(policies).flatMap((p) => (typeof p === 'object' ? [p.deadLetter] : []));
}

export function validatePolicies(policies: ErrorPolicies): void {
  for (const [boundary, policy] of Object.entries(policies)) {
    const ok =
      policy === 'fail' ||
      policy === 'skip' ||
      (typeof policy === 'object' &&
        policy !== null &&
        typeof policy.deadLetter === 'string' &&
        policy.deadLetter !== '');
    if (!['deserialize', 'process', 'produce'].includes(boundary) || !ok) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `error policy for '${boundary}' must be 'fail', 'skip' or { deadLetter: topic }`,
      );
    }
  }
}
