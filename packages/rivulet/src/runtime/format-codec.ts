import { deserialize, serialize } from 'node:v8';
import { bytesSerde, EngineError, float64Serde, jsonSerde, type Serde, stringSerde } from '../model/index.ts';
import type { FormatSpec, Plan } from '../plan/index.ts';

const json = jsonSerde<unknown>();

const v8Serde: Serde<unknown> = {
  name: 'v8',
  encode: (value) => serialize(value),
  decode: (bytes) => {
    try {
      return deserialize(bytes);
    } catch (error) {
      throw new EngineError('INVALID_RECORD', 'bytes are not a v8-serialised value', { cause: error });
    }
  },
};

/**
 * The Serde for a plan's FormatSpec. A JSON format with a schema validates every decoded value with the
 * plan's validator function (throws INVALID_RECORD with the schema's message).
 */
export function codecFor(spec: FormatSpec, plan: Plan): Serde<unknown> {
  switch (spec.kind) {
    case 'string':
      return stringSerde as Serde<unknown>;
    case 'bytes':
      return bytesSerde as Serde<unknown>;
    case 'float64':
      return float64Serde as Serde<unknown>;
    case 'v8':
      return v8Serde;
    case 'json': {
      if (spec.schema === undefined) return json;
      const validate = plan.functions.get(spec.schema) as unknown as (value: unknown) => unknown;
      return { name: 'json+schema', encode: json.encode, decode: (bytes) => validate(json.decode(bytes)) };
    }
  }
}
