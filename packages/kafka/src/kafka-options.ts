import { EngineError } from 'rivulet/connector';

/** Fails fast with INVALID_ARGUMENT naming the option (factories validate before connecting). */
export function invalidOption(connector: string, option: string, message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `${connector}: option '${option}' ${message}`, {
    details: { connector, option },
  });
}

/** Checks `bootstrapServers`: a non-empty array of "host:port" strings. */
export function checkBootstrapServers(connector: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalidOption(connector, 'bootstrapServers', 'must be a non-empty array of "host:port" strings');
  for (const server of value) {
    if (typeof server !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(server))
      throw invalidOption(
        connector,
        'bootstrapServers',
        `has an entry that is not "host:port": ${String(server)}`,
      );
  }
  return [...value] as string[];
}

/** Checks a topic name as Kafka does: 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function checkTopic(connector: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(value) || value === '.' || value === '..')
    throw invalidOption(
      connector,
      'topic',
      'must be a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)',
    );
  return value;
}

export function checkPositiveInteger(
  connector: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw invalidOption(connector, option, `must be a positive integer, got ${String(value)}`);
  return value;
}
