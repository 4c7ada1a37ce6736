import { type ChannelModel, connect } from 'amqplib';
import { EngineError } from 'rivulet/connector';

/** How long a TCP connect plus AMQP handshake may take before the attempt counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens an AMQP 0-9-1 connection. Rejects with CONNECTOR_UNAVAILABLE (retryable) when the server cannot
 * be reached, CONNECTOR_FAILED (not retryable) when it refuses the credentials or the virtual host.
 * The caller owns the connection; an `error` listener is attached so a later socket failure never
 * becomes an unhandled 'error' event (the caller watches `close`).
 */
export async function connectAmqp(url: string, connector: string): Promise<ChannelModel> {
  try {
    const connection = await connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { product: 'rivulet' },
    });
    connection.on('error', () => undefined);
    return connection;
  } catch (error) {
    throw amqpError(connector, 'cannot connect to RabbitMQ', error, { url: redactUrl(url) });
  }
}

/**
 * Maps an amqplib failure to an EngineError. AMQP reply codes decide: 403 (access refused), 404 (no such
 * queue/exchange), 406 (precondition failed, e.g. a queue declared with other arguments) and 530 (no such
 * virtual host) cannot be helped by reopening, so they are CONNECTOR_FAILED and not retryable (except a
 * queue whose home node is still starting); socket errors are CONNECTOR_UNAVAILABLE; anything else
 * CONNECTOR_FAILED and retryable.
 */
export function amqpError(
  connector: string,
  what: string,
  error: unknown,
  details: Record<string, unknown> = {},
): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  const replyCode = replyCodeOf(error);
  const all = { connector, ...details, ...(replyCode === undefined ? {} : { replyCode }) };
  // A queue whose node is still recovering after a restart is reported as 404 "... is down or inaccessible".
  if (replyCode === 404 && /down or inaccessible/.test(message))
    return new EngineError('CONNECTOR_UNAVAILABLE', `${what}: ${message}`, { cause: error, details: all });
  if (replyCode === 403 || replyCode === 404 || replyCode === 406 || replyCode === 530)
    return new EngineError('CONNECTOR_FAILED', `${what}: ${message}`, {
      cause: error,
      retryable: false,
      details: all,
    });
  if (replyCode === undefined && isSocketError(error))
    return new EngineError('CONNECTOR_UNAVAILABLE', `${what}: ${message}`, { cause: error, details: all });
  return new EngineError('CONNECTOR_FAILED', `${what}: ${message}`, { cause: error, details: all });
}

function replyCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  // A refused handshake has no code, only text: "Handshake terminated by server: 403 (ACCESS-REFUSED)".
  const match = /: (\d{3}) \(/.exec((error as { message?: unknown }).message as string);
  return match ? Number(match[1]) : undefined;
}

function isSocketError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  const message = String((error as { message?: unknown }).message);
  return (
    typeof code === 'string' ||
    /ETIMEDOUT|ECONNREFUSED|ECONNRESET|EPIPE|socket|Socket closed|Connection closed/i.test(message)
  );
}

/** The URL without its password, for error details. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}
