import { EngineError } from 'rivulet/connector';

/** The shape of @platformatic/kafka errors we branch on (GenericError and its AggregateErrors). */
interface KafkaClientError extends Error {
  code?: string;
  canRetry?: boolean;
  findBy?: (key: string, value: unknown) => KafkaClientError | null;
}

/** True when `error` (or one it aggregates) says the broker could not be reached or did not answer. */
export function isConnectionError(error: unknown): boolean {
  const e = error as KafkaClientError | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT') return true;
  return Boolean(e.findBy?.('code', 'PLT_KFK_NETWORK') || e.findBy?.('code', 'PLT_KFK_TIMEOUT'));
}

/** The Kafka protocol error name (`apiId`, e.g. 'NOT_LEADER_OR_FOLLOWER') inside a client error, if any. */
export function kafkaErrorId(error: unknown): string | undefined {
  const e = error as (KafkaClientError & { apiId?: string }) | null;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.apiId === 'string') return e.apiId;
  const found = e.findBy?.('code', 'PLT_KFK_PROTOCOL') as { apiId?: string } | null | undefined;
  return found?.apiId;
}

/**
 * Wraps a client error in an EngineError: CONNECTOR_UNAVAILABLE (retryable) when the broker could not be
 * reached, else CONNECTOR_FAILED, retryable unless the client says retrying cannot help.
 */
export function toEngineError(
  connector: string,
  what: string,
  error: unknown,
  details: Record<string, unknown> = {},
): EngineError {
  if (error instanceof EngineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const kafkaError = kafkaErrorId(error);
  if (isConnectionError(error))
    return new EngineError('CONNECTOR_UNAVAILABLE', `${what}: Kafka is unreachable: ${message}`, {
      cause: error,
      details: { connector, ...details },
    });
  return new EngineError('CONNECTOR_FAILED', `${what}: ${message}${kafkaError ? ` (${kafkaError})` : ''}`, {
    cause: error,
    details: { connector, ...details, ...(kafkaError ? { kafkaError } : {}) },
  });
}
