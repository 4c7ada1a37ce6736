import { EngineError } from 'rivulet/connector';

/** Checks a user-given AMQP URL; throws INVALID_ARGUMENT naming the option. */
export function validateUrl(url: unknown, connector: string): string {
  if (typeof url !== 'string' || url.length === 0)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${connector}: option 'url' must be an amqp:// or amqps:// URL`,
      {
        details: { connector, option: 'url' },
      },
    );
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch (cause) {
    throw new EngineError('INVALID_ARGUMENT', `${connector}: option 'url' is not a URL`, {
      cause,
      details: { connector, option: 'url' },
    });
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:')
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${connector}: option 'url' must use amqp: or amqps:, got ${protocol}`,
      {
        details: { connector, option: 'url' },
      },
    );
  return url;
}

/** Checks a required non-empty string option; throws INVALID_ARGUMENT naming it. */
export function validateName(value: unknown, option: string, connector: string): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${connector}: option '${option}' must be a non-empty string of at most 255 bytes`,
      { details: { connector, option } },
    );
  return value;
}

/** Checks an optional integer option within [min, max]; throws INVALID_ARGUMENT naming it. */
export function validateInteger(
  value: unknown,
  option: string,
  connector: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${connector}: option '${option}' must be an integer from ${min} to ${max}, got ${String(value)}`,
      { details: { connector, option } },
    );
  return value;
}

/** Checks that `options` is an object with only `known` keys (a misspelt option fails fast). */
export function validateKeys(options: unknown, known: readonly string[], connector: string): void {
  if (typeof options !== 'object' || options === null)
    throw new EngineError('INVALID_ARGUMENT', `${connector}: options must be an object`, {
      details: { connector },
    });
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new EngineError(
        'INVALID_ARGUMENT',
        `${connector}: unknown option '${key}' (known: ${known.join(', ')})`,
        { details: { connector, option: key } },
      );
}
