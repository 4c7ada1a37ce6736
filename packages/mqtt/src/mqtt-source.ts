import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { MqttSourceReader } from './mqtt-source-reader.ts';

/** Options of `mqttSource` (connection only: the engine names the source). */
export interface MqttSourceOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` (mqtt:, mqtts:, ws:, wss:). */
  readonly url: string;
  /** Topic filters to subscribe to; wildcards (`+`, `#`) allowed. */
  readonly topics: readonly string[];
  /** 1 (default): acknowledged at commit, redelivered after a crash. 0: at most once. */
  readonly qos?: 0 | 1;
  /** The session's client id; required for a persistent session (QoS 1 without `cleanSession`). */
  readonly clientId?: string;
  /** Start a fresh session on every connect (default false: the broker keeps the session and its queue). */
  readonly cleanSession?: boolean;
  readonly username?: string;
  readonly password?: string;
  /**
   * MQTT 5 Receive Maximum: how many QoS 1 records the broker sends before it waits for acknowledgements
   * (1..65535, default 1024). Bounds the read-ahead and the records between two commits.
   */
  readonly maxInFlight?: number;
  /** How long the broker keeps a persistent session while nobody is connected (default 7 days). */
  readonly sessionExpirySeconds?: number;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Delay between reconnect attempts after a lost connection (default 500). */
  readonly reconnectMs?: number;
}

/** `MqttSourceOptions` validated, with defaults. */
export interface MqttSourceConfig {
  readonly url: string;
  readonly topics: readonly string[];
  readonly qos: 0 | 1;
  readonly clientId: string | undefined;
  readonly persistent: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly maxInFlight: number;
  readonly sessionExpirySeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMs: number;
}

export const MQTT_SOURCE = 'mqtt';
/** The one split: MQTT has no partitions a subscriber could read independently. */
export const MQTT_SPLIT = 'mqtt';

function invalid(message: string, option: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `mqttSource: ${message}`, {
    details: { connector: MQTT_SOURCE, option },
  });
}

function positiveInteger(value: unknown, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`option ${option} must be an integer from 1 to ${max}, got ${String(value)}`, option);
  return value;
}

export function resolveMqttSourceOptions(options: MqttSourceOptions): MqttSourceConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options are required', 'options');
  if (typeof options.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url))
    throw invalid(
      `option url must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${String(options.url)}`,
      'url',
    );
  if (
    !Array.isArray(options.topics) ||
    options.topics.length === 0 ||
    options.topics.some((t) => typeof t !== 'string' || t.length === 0)
  )
    throw invalid('option topics must be a non-empty array of topic filters', 'topics');
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1) throw invalid(`option qos must be 0 or 1, got ${String(qos)}`, 'qos');
  if (options.cleanSession !== undefined && typeof options.cleanSession !== 'boolean')
    throw invalid('option cleanSession must be a boolean', 'cleanSession');
  const persistent = qos === 1 && options.cleanSession !== true;
  if (
    options.clientId !== undefined &&
    (typeof options.clientId !== 'string' || options.clientId.length === 0)
  )
    throw invalid('option clientId must be a non-empty string', 'clientId');
  if (persistent && options.clientId === undefined)
    throw invalid(
      'option clientId is required for a persistent session (qos 1 without cleanSession: true): the broker finds the session by it',
      'clientId',
    );
  return {
    url: options.url,
    topics: [...options.topics],
    qos,
    clientId: options.clientId,
    persistent,
    username: options.username,
    password: options.password,
    maxInFlight: positiveInteger(options.maxInFlight, 'maxInFlight', 1024, 65_535),
    sessionExpirySeconds: positiveInteger(
      options.sessionExpirySeconds,
      'sessionExpirySeconds',
      7 * 86_400,
      0xffff_ffff,
    ),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs, 'connectTimeoutMs', 10_000, 3_600_000),
    reconnectMs: positiveInteger(options.reconnectMs, 'reconnectMs', 500, 3_600_000),
  };
}

/** The features a source with these options has (a persistent session replays what was not committed). */
export function mqttSourceFeatures(config: MqttSourceConfig): SourceFeatures {
  return config.persistent
    ? { ordered: true, persistent: true, positioned: false, replay: 'at-least-once' }
    : { ordered: true, persistent: false, positioned: false, replay: 'at-most-once' };
}

/**
 * Reads MQTT topics as one split. Each record: key = the topic name, value = the payload bytes,
 * timestamp = a numeric MQTT 5 user property `ts` or else the arrival time, headers = the user properties
 * plus `rivulet.source.mqtt-topic`.
 *
 * With QoS 1 and a persistent session the PUBACK of a record is sent only when the engine commits a
 * position at or after it, so records not committed before a crash are redelivered by the broker
 * (at least once). The position is the reader's delivery counter: it orders commits within one
 * reader's life and carries no meaning to the broker; a reopened reader resumes from the session, not
 * from the position. Ordering is per topic (as MQTT orders).
 */
export function mqttSource(options: MqttSourceOptions): SourceConnector {
  const config = resolveMqttSourceOptions(options);
  return {
    kind: 'source-connector',
    connector: MQTT_SOURCE,
    features: mqttSourceFeatures(config),
    splits: async () => [MQTT_SPLIT],
    open: async (split: string, position: string | undefined): Promise<SourceReader> => {
      if (split !== MQTT_SPLIT)
        throw new EngineError('INVALID_ARGUMENT', `mqttSource: unknown split ${split}`, {
          details: { connector: MQTT_SOURCE, split },
        });
      let start = 0;
      if (position !== undefined) {
        if (!/^\d{1,15}$/.test(position))
          throw new EngineError(
            'SOURCE_POSITION_INVALID',
            `mqttSource: position ${JSON.stringify(position)} is not a delivery counter`,
            { details: { connector: MQTT_SOURCE, split, position } },
          );
        start = Number(position);
      }
      return MqttSourceReader.open(config, start);
    },
  };
}
