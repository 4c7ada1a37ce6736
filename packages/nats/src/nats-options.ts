import { EngineError } from 'rivulet/connector';

/**
 * Checks of user options shared by the NATS factories. Every check throws INVALID_ARGUMENT naming the
 * option, at factory time, before any connection is made.
 */

function invalid(connector: string, option: string, message: string, value: unknown): EngineError {
  return new EngineError('INVALID_ARGUMENT', `${connector}: option '${option}' ${message}`, {
    details: { connector, option, value },
  });
}

/** `servers`: a non-empty string or array of 'host:port' / 'nats://host:port' URLs. */
export function checkServers(connector: string, servers: unknown): string[] {
  const list = typeof servers === 'string' ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0)
    throw invalid(connector, 'servers', 'must be a server URL or a non-empty array of them', servers);
  for (const s of list)
    if (typeof s !== 'string' || s.trim() === '' || /\s/.test(s))
      throw invalid(connector, 'servers', `holds an invalid server URL ${JSON.stringify(s)}`, servers);
  return list as string[];
}

/**
 * A subject to publish to or filter on: dot-separated non-empty tokens without whitespace; wildcards
 * (`*`, `>`) only when `wildcards` (a filter), never inside a token.
 */
export function checkSubject(
  connector: string,
  option: string,
  subject: unknown,
  wildcards: boolean,
): string {
  if (typeof subject !== 'string' || subject === '')
    throw invalid(connector, option, 'must be a non-empty subject', subject);
  const tokens = subject.split('.');
  tokens.forEach((token, i) => {
    if (token === '' || /[\s]/.test(token))
      throw invalid(connector, option, `is not a valid subject: ${JSON.stringify(subject)}`, subject);
    const wild = token === '*' || (token === '>' && i === tokens.length - 1);
    if (/[*>]/.test(token) && (!wild || !wildcards))
      throw invalid(
        connector,
        option,
        `${wildcards ? 'has a misplaced wildcard' : 'must not contain wildcards'}: ${JSON.stringify(subject)}`,
        subject,
      );
  });
  return subject;
}

/** A JetStream stream name: printable ASCII without '.', '*', '>' or path separators. */
export function checkStreamName(connector: string, stream: unknown): string {
  if (
    typeof stream !== 'string' ||
    stream === '' ||
    stream.length > 255 ||
    !/^[!-~]+$/.test(stream) ||
    /[.*>/\\]/.test(stream)
  )
    throw invalid(
      connector,
      'stream',
      'must be a JetStream stream name (no spaces, ".", "*", ">", "/" or "\\")',
      stream,
    );
  return stream;
}

/** An optional integer option within [min, max]; `fallback` when absent. */
export function checkInteger(
  connector: string,
  option: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(connector, option, `must be an integer from ${min} to ${max}`, value);
  return value;
}

/** An optional option out of `allowed`; `fallback` when absent. */
export function checkChoice<T extends string>(
  connector: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw invalid(connector, option, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  return value as T;
}

/** Rejects option names the factory does not know (a typo would otherwise be ignored silently). */
export function checkKnownOptions(connector: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null)
    throw new EngineError('INVALID_ARGUMENT', `${connector}: options must be an object`, {
      details: { connector },
    });
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw invalid(connector, key, `is unknown (known options: ${known.join(', ')})`, undefined);
}
