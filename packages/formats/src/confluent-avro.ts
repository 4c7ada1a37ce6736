import type avsc from 'avsc';
import { custom, EngineError, type Format, isEngineError } from 'rivulet';
import { type AvroSchema, asBuffer, avroDecoder, avroType, invalidPaths } from './avro-format.ts';
import type { SchemaRegistry } from './schema-registry.ts';

export interface ConfluentAvroOptions {
  /** The registry subject, e.g. '<topic>-value' (Confluent's TopicNameStrategy). Required. */
  subject: string;
  /**
   * The writer schema `encode` uses: registered under the subject (or looked up, with `autoRegister:
   * false`) to get its id. Without it, `encode` writes with the subject's latest version.
   */
  schema?: AvroSchema;
  /** The schema values decode to (default: `schema`, else the subject's latest version). */
  readerSchema?: AvroSchema;
  /** Register `schema` when the subject lacks it (default true); false looks it up (SCHEMA_NOT_FOUND if absent). */
  autoRegister?: boolean;
}

export type ConfluentAvroFormat<T> = Format<T> & {
  readonly subject: string;
  /** The schema id `encode` writes in the 5-byte prefix. */
  readonly schemaId: number;
  /** The writer schema ids `decode` can read now, ascending. */
  knownIds(): number[];
  /**
   * Loads the subject's versions registered since (GET versions, then each new version) so `decode`
   * reads their ids too; returns the ids added. Only this format object learns them: a pipeline running
   * in worker threads builds its own and must be restarted to see new versions.
   */
  refresh(): Promise<number[]>;
};

/** Why an id preloaded from the registry cannot be decoded (kept so the record's error says so). */
type Reader<T> = ((body: Buffer) => T) | EngineError;

/**
 * Avro in the Confluent wire format: magic byte 0, the writer schema's registry id as a 4-byte
 * big-endian integer, then the Avro binary body. A Serde is synchronous, so every registry call happens
 * here, before the format is returned: the writer schema is registered (or looked up) and every version
 * of the subject is preloaded, each resolved against the reader schema once.
 *
 * `decode` of an id it knows resolves that writer schema to the reader schema; of an id it does not know
 * throws SCHEMA_NOT_FOUND (details.schemaId), which the pipeline's `deserialize` policy routes like any
 * bad record (e.g. to a dead-letter topic); of a version whose schema cannot be resolved to the reader
 * throws SCHEMA_INCOMPATIBLE; of bytes without the magic byte or shorter than 5 bytes throws
 * INVALID_RECORD. The reader/writer pair of `schema` itself must resolve, else SCHEMA_INCOMPATIBLE here.
 * Registry failures surface from this call with the registry client's codes. Avro only: versions of
 * another schemaType, and schema references, are not supported (their ids decode to INVALID_RECORD).
 */
export async function confluentAvro<T = unknown>(
  registry: SchemaRegistry,
  options: ConfluentAvroOptions,
): Promise<ConfluentAvroFormat<T>> {
  const { subject } = options;
  if (typeof subject !== 'string' || subject === '')
    throw new EngineError('INVALID_ARGUMENT', 'confluentAvro: subject must be a non-empty string', {
      details: { format: 'confluent-avro', option: 'subject' },
    });
  const details = { format: 'confluent-avro', subject };
  const givenWriter = options.schema === undefined ? undefined : avroType(options.schema, 'schema');
  let writerType: avsc.Type;
  let schemaId: number;
  if (givenWriter !== undefined) {
    writerType = givenWriter;
    const text = JSON.stringify(givenWriter.schema({ exportAttrs: true }));
    schemaId =
      options.autoRegister === false
        ? (await registry.lookup(subject, text)).id
        : await registry.register(subject, text);
  } else {
    const latest = await registry.version(subject, 'latest');
    writerType = parseRegistered(latest.schema, latest.schemaType, latest.id, details);
    schemaId = latest.id;
  }
  const readerType =
    options.readerSchema === undefined ? writerType : avroType(options.readerSchema, 'readerSchema');

  const readers = new Map<number, Reader<T>>();
  // The format's own writer must resolve to its reader: fail now, not on every record.
  readers.set(schemaId, bodyReader<T>(writerType, readerType));

  const load = async (): Promise<number[]> => {
    const added: number[] = [];
    for (const version of await registry.versions(subject)) {
      const entry = await registry.version(subject, version);
      if (readers.has(entry.id)) continue;
      let reader: Reader<T>;
      try {
        reader = bodyReader<T>(
          parseRegistered(entry.schema, entry.schemaType, entry.id, details),
          readerType,
        );
      } catch (error) {
        if (!isEngineError(error)) throw error;
        reader = error;
      }
      readers.set(entry.id, reader);
      added.push(entry.id);
    }
    return added;
  };
  await load();

  const encodeBody = writerEncoder(writerType, schemaId);
  const serde = {
    name: `confluent-avro:${subject}`,
    encode: (value: T): Uint8Array => encodeBody(value),
    decode(bytes: Uint8Array): T {
      if (bytes.length < 5 || bytes[0] !== 0)
        throw new EngineError(
          'INVALID_RECORD',
          bytes.length < 5
            ? `confluent-avro: ${bytes.length} bytes are too short for the 5-byte schema prefix`
            : `confluent-avro: magic byte is ${bytes[0]}, expected 0`,
          { details },
        );
      const buffer = asBuffer(bytes);
      const id = buffer.readUInt32BE(1);
      const reader = readers.get(id);
      if (reader === undefined)
        throw new EngineError(
          'SCHEMA_NOT_FOUND',
          `confluent-avro: schema id ${id} is not a known version of subject '${subject}'`,
          { details: { ...details, schemaId: id } },
        );
      if (reader instanceof EngineError)
        throw new EngineError(reader.code, reader.message, {
          cause: reader,
          details: { ...details, schemaId: id },
        });
      return reader(buffer.subarray(5));
    },
  };
  return Object.assign(custom<T>(serde), {
    subject,
    schemaId,
    knownIds: () => [...readers.keys()].sort((a, b) => a - b),
    refresh: load,
  });
}

function bodyReader<T>(writer: avsc.Type, reader: avsc.Type): (body: Buffer) => T {
  return avroDecoder<T>(writer, reader);
}

/** Encodes into a reused scratch buffer after the prefix, then copies out exactly the bytes written. */
function writerEncoder<T>(type: avsc.Type, schemaId: number): (value: T) => Uint8Array {
  let scratch = Buffer.allocUnsafe(64 * 1024);
  const prefix = (buf: Buffer) => {
    buf[0] = 0;
    buf.writeUInt32BE(schemaId, 1);
  };
  prefix(scratch);
  return (value) => {
    let end: number;
    try {
      end = type.encode(value, scratch, 5);
      while (end < 0) {
        // avsc returns -(bytes missing): grow to fit and write again.
        scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
        prefix(scratch);
        end = type.encode(value, scratch, 5);
      }
    } catch (error) {
      throw new EngineError(
        'INVALID_RECORD',
        `confluent-avro: cannot encode the value: ${invalidPaths(type, value)}`,
        {
          cause: error,
          details: { format: 'confluent-avro', schemaId },
        },
      );
    }
    return Buffer.from(scratch.subarray(0, end));
  };
}

function parseRegistered(
  schema: string,
  schemaType: string | undefined,
  id: number,
  details: Record<string, unknown>,
): avsc.Type {
  if (schemaType !== undefined && schemaType !== 'AVRO')
    throw new EngineError(
      'INVALID_RECORD',
      `confluent-avro: schema id ${id} is a ${schemaType} schema, not Avro`,
      {
        details: { ...details, schemaId: id },
      },
    );
  try {
    return avroType(schema, `schema id ${id}`);
  } catch (error) {
    throw new EngineError('INVALID_RECORD', `confluent-avro: schema id ${id} is not a valid Avro schema`, {
      cause: error,
      details: { ...details, schemaId: id },
    });
  }
}
