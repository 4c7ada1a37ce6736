import { EngineError } from 'rivulet/connector';

/**
 * Maps what `pg` throws to the contract's EngineError codes. Connection-level failures (refused, reset,
 * timed out, the server shutting down or starting up) are CONNECTOR_UNAVAILABLE (retryable); anything
 * the server refused is CONNECTOR_FAILED, retryable only for the transient classes (serialization,
 * deadlock, lock and resource limits, object in use).
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATE classes/codes worth retrying after a reopen. */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources
    code.startsWith('57P') || // operator intervention: admin/crash shutdown, cannot connect now
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    code === '55006' || // object in use (a replication slot still held by a closing walsender)
    code === '55P03' // lock not available
  );
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the connection itself broke or could not be made (as opposed to a refused statement). */
export function isConnectionError(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P')))
    return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|timeout expired|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** True when reopening may help (a connection problem or a transient server refusal). */
export function isTransient(error: unknown): boolean {
  if (isConnectionError(error)) return true;
  const code = sqlState(error);
  return code !== undefined && transientSqlState(code);
}

export function toEngineError(
  error: unknown,
  what: string,
  details: Readonly<Record<string, unknown>>,
): EngineError {
  if (error instanceof EngineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = sqlState(error);
  const fullDetails = code === undefined ? details : { ...details, sqlState: code };
  if (isConnectionError(error))
    return new EngineError('CONNECTOR_UNAVAILABLE', `${what}: ${message}`, {
      cause: error,
      details: fullDetails,
    });
  return new EngineError('CONNECTOR_FAILED', `${what}: ${message}`, {
    cause: error,
    details: fullDetails,
    retryable: code !== undefined && transientSqlState(code),
  });
}
