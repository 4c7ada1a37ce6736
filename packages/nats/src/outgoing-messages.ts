import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import { EngineError, partitionForKey, type SinkRecord } from 'rivulet/connector';
import { encodeRecordHeaders, TOMBSTONE_HEADER } from './record-headers.ts';

/** Messages ready to publish, in the order of the records they come from. */
export interface OutgoingMessages {
  readonly subjects: string[];
  readonly payloads: Uint8Array[];
  readonly headers: (MsgHdrs | undefined)[];
}

const EMPTY = new Uint8Array(0);
/** Headers beyond this are only measured exactly for values close to the limit. */
const HEADER_ALLOWANCE = 64 * 1024;

/**
 * Routes records to subjects: `<subject>` without partitions, else `<subject>.<partitionForKey(key)>`
 * (murmur2 like the embedded log) with unkeyed records round-robin. One router per writer.
 */
export class SubjectRouter {
  private readonly subject: string;
  private readonly partitions: number | undefined;
  private readonly subjects: string[];
  private next = 0;

  constructor(subject: string, partitions: number | undefined) {
    this.subject = subject;
    this.partitions = partitions;
    this.subjects = Array.from({ length: partitions ?? 0 }, (_, p) => `${subject}.${p}`);
  }

  subjectFor(key: Uint8Array | null): string {
    if (this.partitions === undefined) return this.subject;
    if (key === null) {
      const p = this.next;
      this.next = (p + 1) % this.partitions;
      return this.subjects[p]!;
    }
    return this.subjects[partitionForKey(key, this.partitions)]!;
  }
}

/**
 * Turns one `write` call's records into NATS messages, checking every record before any is sent: a
 * record NATS can never take (larger than `maxBytes` with its headers, a header NATS cannot carry)
 * throws INVALID_RECORD with `details.index`, so the engine dead-letters it and writes the rest again.
 * `msgId`: put `record.id` in `Nats-Msg-Id` (JetStream deduplication).
 */
export function prepareMessages(
  records: readonly SinkRecord[],
  router: SubjectRouter,
  maxBytes: number,
  msgId: boolean,
  connector: string,
): OutgoingMessages {
  const n = records.length;
  const out: OutgoingMessages = {
    subjects: new Array<string>(n),
    payloads: new Array<Uint8Array>(n),
    headers: new Array<MsgHdrs | undefined>(n),
  };
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    const encoded = encodeRecordHeaders(record.key, record.headers, msgId ? record.id : undefined);
    if (typeof encoded === 'string') throw invalidRecord(connector, i, record, encoded);
    let h = encoded;
    if (record.value === null) {
      h ??= natsHeaders();
      h.set(TOMBSTONE_HEADER, 'true');
    }
    const payload = record.value ?? EMPTY;
    if (payload.byteLength + HEADER_ALLOWANCE > maxBytes) {
      const size = payload.byteLength + (h === undefined ? 0 : headerBytes(h));
      if (size > maxBytes)
        throw invalidRecord(
          connector,
          i,
          record,
          `${size} bytes with headers exceed the server's max_payload of ${maxBytes} bytes`,
        );
    }
    out.subjects[i] = router.subjectFor(record.key);
    out.payloads[i] = payload;
    out.headers[i] = h;
  }
  return out;
}

/** The encoded size of NATS headers: `NATS/1.0\r\n`, `name: value\r\n` each, `\r\n`. */
function headerBytes(h: MsgHdrs): number {
  let size = 12;
  for (const [name, values] of h)
    for (const value of values) size += Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
  return size;
}

function invalidRecord(connector: string, index: number, record: SinkRecord, reason: string): EngineError {
  return new EngineError(
    'INVALID_RECORD',
    `${connector}: record ${record.id} cannot be published: ${reason}`,
    {
      details: { connector, index, id: record.id, reason },
    },
  );
}
