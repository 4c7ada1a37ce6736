import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { EngineError } from 'rivulet/connector';

/** CONNACK reason codes that reconnecting cannot fix (bad credentials, banned, not authorized...). */
const permanentConnackCodes = new Set([0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c, 0x90, 0x95, 0x9a, 0x9b]);

/**
 * Connects an mqtt.js client (MQTT 5) and resolves with it and its first CONNACK once the broker accepts
 * the session. Rejects with CONNECTOR_UNAVAILABLE (retryable) when the broker cannot be reached within
 * `timeoutMs`, CONNECTOR_FAILED (not retryable) when it refuses the client (credentials, authorization).
 * On rejection the client is ended: the caller owns it only once this resolves.
 */
export function connectMqtt(
  connector: string,
  url: string,
  options: IClientOptions,
  timeoutMs: number,
  /** Called with the client before it connects: install hooks that must see the first packets. */
  onCreate?: (client: MqttClient) => void,
): Promise<{ client: MqttClient; connack: IConnackPacket }> {
  return new Promise((resolve, reject) => {
    let client: MqttClient;
    try {
      client = connect(url, { protocolVersion: 5, ...options });
      onCreate?.(client);
    } catch (error) {
      reject(
        new EngineError('INVALID_ARGUMENT', `${connector}: cannot use url ${url}: ${String(error)}`, {
          cause: error,
          details: { connector, url },
        }),
      );
      return;
    }
    let lastError: unknown;
    const fail = (error: EngineError) => {
      clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.on('error', () => undefined);
      client.end(true);
      reject(error);
    };
    const onConnect = (connack: IConnackPacket) => {
      clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      resolve({ client, connack });
    };
    const onError = (error: Error & { code?: unknown }) => {
      lastError = error;
      if (typeof error.code === 'string')
        // A socket error (ECONNREFUSED, ENOTFOUND...): fail fast, the engine retries the open.
        fail(
          new EngineError(
            'CONNECTOR_UNAVAILABLE',
            `${connector}: cannot reach the MQTT broker at ${url}: ${error.message}`,
            {
              cause: error,
              details: { connector, url },
            },
          ),
        );
      else if (typeof error.code === 'number' && permanentConnackCodes.has(error.code))
        fail(
          new EngineError(
            'CONNECTOR_FAILED',
            `${connector}: the broker at ${url} refused the client: ${error.message}`,
            {
              cause: error,
              retryable: false,
              details: { connector, url, reasonCode: error.code },
            },
          ),
        );
    };
    const timer = setTimeout(
      () =>
        fail(
          new EngineError(
            'CONNECTOR_UNAVAILABLE',
            `${connector}: cannot reach the MQTT broker at ${url} within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`,
            { cause: lastError, details: { connector, url } },
          ),
        ),
      timeoutMs,
    );
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}
