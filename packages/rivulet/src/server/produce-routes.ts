import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import type { Producer } from '../log/index.ts';
import { EngineError, type Headers, type ProducerRecord, partitionForKey } from '../model/index.ts';
import { IdempotencyCache } from './idempotency-cache.ts';

export interface ProduceAnswer {
  offsets: Array<{ partition: number; offset: number }>;
}

const MAX_IDEMPOTENCY_KEY = 256;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalidRecord(i: number, message: string): EngineError {
  return new EngineError('INVALID_RECORD', `record ${i}: ${message}`);
}

/** The records of a produce body: `{ records: [...] }` (JSON) or one object per line (NDJSON). */
export function bodyRecords(body: unknown, contentType: string | undefined): unknown[] {
  if (typeof body === 'string' && /^application\/x-ndjson\b/i.test(contentType ?? '')) {
    const records: unknown[] = [];
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch (error) {
        throw new EngineError('INVALID_JSON', `line ${i + 1} is not JSON: ${(error as Error).message}`);
      }
    }
    return records;
  }
  if (!isObject(body) || !Array.isArray(body.records))
    throw new EngineError(
      'INVALID_ARGUMENT',
      'the body must be { records: [...] } (or NDJSON, one record a line)',
    );
  return body.records;
}

/**
 * One record of a produce body as a ProducerRecord for partition `partition` (already chosen): `key`
 * string or null, `value` any JSON (stored as its JSON text) or `valueText` (stored as is; null is a
 * tombstone), `headers` of strings, optional `timestamp`.
 */
function producerRecord(raw: unknown, i: number): Omit<ProducerRecord, 'partition'> {
  if (!isObject(raw))
    throw invalidRecord(i, 'must be an object { key?, value | valueText, headers?, partition? }');
  const key = raw.key ?? null;
  if (key !== null && typeof key !== 'string') throw invalidRecord(i, 'key must be a string or null');
  const hasValue = 'value' in raw;
  const hasText = 'valueText' in raw;
  if (hasValue === hasText) throw invalidRecord(i, 'give either value (JSON) or valueText');
  let value: string | null;
  if (hasText) {
    if (raw.valueText !== null && typeof raw.valueText !== 'string')
      throw invalidRecord(i, 'valueText must be a string or null');
    value = raw.valueText as string | null;
  } else value = JSON.stringify(raw.value);
  let headers: Headers | undefined;
  if (raw.headers !== undefined) {
    if (!isObject(raw.headers)) throw invalidRecord(i, 'headers must be an object of strings');
    headers = new Map();
    for (const [name, v] of Object.entries(raw.headers)) {
      if (typeof v !== 'string') throw invalidRecord(i, `header '${name}' must be a string`);
      headers.set(name, Buffer.from(v, 'utf8'));
    }
  }
  const timestamp = raw.timestamp;
  if (
    timestamp !== undefined &&
    (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)
  )
    throw invalidRecord(i, 'timestamp must be ms since the epoch');
  return {
    key,
    value,
    ...(headers === undefined ? {} : { headers }),
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}

/**
 * `POST /api/topics/:topic/records`: appends the records through one producer of the log and answers
 * 200 `{ offsets: [{ partition, offset }] }` in request order once every partition's append is
 * acknowledged (durable under the topic's durability). Partitions: the record's `partition`, else
 * murmur2 of its key, else one partition for all unkeyed records of the request (the next request, the
 * next partition). Validation errors refuse the whole request before anything is appended; an append
 * failing on one partition may leave the others appended (the error names it; the idempotency key is
 * then forgotten, so a retry appends again). `Idempotency-Key`: see IdempotencyCache.
 */
export function registerProduceRoutes(app: FastifyInstance, engine: Engine): void {
  const cache = new IdempotencyCache<ProduceAnswer>();
  let producer: Producer | undefined;
  let sticky = 0;

  async function produce(topic: string, rawRecords: readonly unknown[]): Promise<ProduceAnswer> {
    const log = engine.log;
    if (log.closed) throw new EngineError('LOG_CLOSED', 'the log is closed');
    const partitions = log.topicConfig(topic).partitions;
    const unkeyed = sticky++ % partitions;
    const records: ProducerRecord[] = rawRecords.map((raw, i) => {
      const record = producerRecord(raw, i);
      const explicit = (raw as { partition?: unknown }).partition;
      let partition: number;
      if (explicit !== undefined) {
        if (
          typeof explicit !== 'number' ||
          !Number.isInteger(explicit) ||
          explicit < 0 ||
          explicit >= partitions
        )
          throw invalidRecord(
            i,
            `topic '${topic}' has no partition ${String(explicit)} (it has ${partitions})`,
          );
        partition = explicit;
      } else if (typeof record.key === 'string')
        partition = partitionForKey(Buffer.from(record.key), partitions);
      else partition = unkeyed;
      return { ...record, partition };
    });
    producer ??= log.createProducer({ idempotent: false });
    const results = await producer.send(topic, records);
    const next = new Map<number, number>();
    for (const r of results) {
      if (r.lastOffset - r.baseOffset + 1 !== r.count)
        throw new EngineError(
          'INTERNAL',
          `append to ${topic}/${r.partition} did not get consecutive offsets`,
        );
      next.set(r.partition, r.baseOffset);
    }
    return {
      offsets: records.map((r) => {
        const offset = next.get(r.partition!)!;
        next.set(r.partition!, offset + 1);
        return { partition: r.partition!, offset };
      }),
    };
  }

  app.post<{ Params: { topic: string } }>('/api/topics/:topic/records', async (request) => {
    const topic = request.params.topic;
    const raw = bodyRecords(request.body, request.headers['content-type']);
    if (raw.length === 0) throw new EngineError('INVALID_ARGUMENT', 'no records to produce');
    const key = request.headers['idempotency-key'];
    if (key === undefined) return produce(topic, raw);
    if (typeof key !== 'string' || key === '' || key.length > MAX_IDEMPOTENCY_KEY)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`,
      );
    const fingerprint = createHash('sha256')
      .update(topic)
      .update('\n')
      .update(JSON.stringify(raw))
      .digest('base64');
    const { answer } = await cache.once(
      key,
      fingerprint,
      () => produce(topic, raw),
      (a) => 64 + a.offsets.length * 48,
    );
    return answer;
  });
}
