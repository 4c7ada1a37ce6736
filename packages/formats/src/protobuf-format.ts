import pb from 'protobufjs';
import { custom, EngineError, type Format } from 'rivulet';

/** A message type: a protobufjs Type, or a Root and the fully qualified name of a type in it. */
export type ProtobufTypeOption = pb.Type | { root: pb.Root; typeName: string };

/** A Format with the protobufjs Type it encodes (for tools that need the descriptor). */
export type ProtobufFormat<T> = Format<T> & { readonly type: pb.Type };

/**
 * Protocol Buffers values (one message per record, not length-delimited). T is the type the caller says
 * the message decodes to (`protobuf<Order>(type)`), unknown otherwise.
 *
 * Values are protobufjs plain objects: decode yields `type.toObject(message, { defaults: true })`, i.e.
 * every field present (missing scalars as their proto default, missing sub-messages as null, missing
 * repeated/map fields as []/{}), enums as their numeric ids (proto3 enums are open: an id the reader's
 * .proto lacks stays a number, and any integer verifies), 64-bit integers as `Long` objects, bytes as
 * Buffers. Evolution follows protobuf's rules: fields the reader does not know are skipped, fields the
 * writer did not send read as defaults, so a reader and writer may use different versions of a .proto
 * as long as field numbers and wire types agree.
 *
 * `encode` runs `Type.verify` first and throws INVALID_RECORD with the verifier's message (e.g.
 * "price: number expected"); `decode` throws INVALID_RECORD on bytes protobufjs cannot read (bad wire
 * type, truncated field, missing proto2 required field). Both are synchronous.
 */
export function protobuf<T = unknown>(type: ProtobufTypeOption): ProtobufFormat<T> {
  const messageType = resolveType(type);
  const conversion: pb.IConversionOptions = { defaults: true };
  const details = { format: 'protobuf', type: messageType.fullName };
  const serde = {
    name: `protobuf:${messageType.fullName.replace(/^\./, '')}`,
    encode(value: T): Uint8Array {
      const problem =
        value === null || typeof value !== 'object'
          ? 'a message must be an object'
          : messageType.verify(value as Record<string, unknown>);
      if (problem !== null)
        throw new EngineError('INVALID_RECORD', `protobuf ${messageType.name}: ${problem}`, { details });
      return messageType.encode(value as Record<string, unknown>).finish();
    },
    decode(bytes: Uint8Array): T {
      let message: pb.Message;
      try {
        message = messageType.decode(bytes);
      } catch (error) {
        throw new EngineError(
          'INVALID_RECORD',
          `protobuf ${messageType.name}: cannot decode ${bytes.length} bytes: ${(error as Error).message}`,
          { cause: error, details },
        );
      }
      return messageType.toObject(message, conversion) as T;
    },
  };
  return Object.assign(custom<T>(serde), { type: messageType });
}

function resolveType(option: ProtobufTypeOption): pb.Type {
  if (option instanceof pb.Type) return option;
  if (option === null || typeof option !== 'object' || !(option.root instanceof pb.Root))
    throw new EngineError(
      'INVALID_ARGUMENT',
      'protobuf(type): type must be a protobufjs Type or { root: protobufjs Root, typeName }',
      { details: { format: 'protobuf' } },
    );
  if (typeof option.typeName !== 'string' || option.typeName === '')
    throw new EngineError('INVALID_ARGUMENT', 'protobuf(type): typeName must be a non-empty string', {
      details: { format: 'protobuf' },
    });
  try {
    return option.root.lookupType(option.typeName);
  } catch (error) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `protobuf(type): typeName '${option.typeName}' is not a message type of the root`,
      { cause: error, details: { format: 'protobuf', typeName: option.typeName } },
    );
  }
}
