import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EngineError } from 'rivulet/connector';

/**
 * Opens one NATS connection for a reader or writer. It reconnects forever (every 250 ms) after the
 * first connect, so a restarted server is picked up without the caller noticing; only the first
 * connect fails, with a retryable CONNECTOR_UNAVAILABLE naming the servers. The caller owns the
 * connection and closes it.
 */
export async function connectNats(
  servers: readonly string[],
  connector: string,
  name: string,
): Promise<NatsConnection> {
  try {
    return await connect({
      servers: [...servers],
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 50,
      timeout: 5_000,
    });
  } catch (cause) {
    throw new EngineError(
      'CONNECTOR_UNAVAILABLE',
      `${connector}: cannot connect to NATS at ${servers.join(', ')}: ${(cause as Error).message}`,
      { cause, details: { connector, servers: [...servers] } },
    );
  }
}

/** Closes a connection, ignoring a connection that is already closed or broken. */
export async function closeNats(nc: NatsConnection | undefined): Promise<void> {
  if (nc === undefined || nc.isClosed()) return;
  await nc.close().catch(() => undefined);
}
