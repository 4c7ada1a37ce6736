import type { IClientPublishOptions, MqttClient } from 'mqtt';
import {
  EngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { connectMqtt } from './mqtt-connect.ts';

/** Options of `mqttSink` (connection only: the engine names the sink). */
export interface MqttSinkOptions {
  readonly url: string;
  /** The topic to publish to, or a function of the record key (UTF-8 text, null without a key). */
  readonly topic: string | ((key: string | null) => string);
  /** Only 1 is supported: every record is acknowledged by the broker before commit resolves. */
  readonly qos?: 1;
  readonly retain?: boolean;
  /** Values over this many bytes are refused with INVALID_RECORD (default 256 MiB, MQTT's limit). */
  readonly maxValueBytes?: number;
  /** Default: `rivulet-<pipeline>-<sink>-<random>`. */
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** Copy record headers into MQTT 5 user properties, with `rivulet.id` = the record id (default true). */
  readonly userProperties?: boolean;
  /** Writes wait while this many records await their PUBACK (default 4096). */
  readonly maxInFlight?: number;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** How long commit waits for outstanding PUBACKs before it fails (retryable; default 30 000). */
  readonly ackTimeoutMs?: number;
  /** Delay between reconnect attempts (default 500). */
  readonly reconnectMs?: number;
}

const MQTT_SINK = 'mqtt';
const MQTT_MAX_VALUE = 256 * 1024 * 1024 - 1024;

function invalid(message: string, option: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `mqttSink: ${message}`, {
    details: { connector: MQTT_SINK, option },
  });
}

function positiveInteger(value: unknown, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`option ${option} must be an integer from 1 to ${max}, got ${String(value)}`, option);
  return value;
}

/**
 * Publishes records to MQTT with QoS 1: `write` sends them (many in flight), `commit` waits for every
 * PUBACK. Guarantee 'at-least-once': records written after the last commit are published again after a
 * crash. Key: the topic function's argument; value: the payload (a null value publishes an empty one).
 */
export function mqttSink(options: MqttSinkOptions): SinkConnector {
  if (typeof options !== 'object' || options === null) throw invalid('options are required', 'options');
  if (typeof options.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url))
    throw invalid(
      `option url must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${String(options.url)}`,
      'url',
    );
  const topic = options.topic;
  if (typeof topic === 'string') {
    if (topic.length === 0 || /[+#]/.test(topic))
      throw invalid('option topic must be a topic name without wildcards', 'topic');
  } else if (typeof topic !== 'function')
    throw invalid('option topic must be a string or a function', 'topic');
  if (options.qos !== undefined && options.qos !== 1)
    throw invalid(
      `option qos must be 1 (the sink awaits acknowledgements), got ${String(options.qos)}`,
      'qos',
    );
  const config = {
    url: options.url,
    topic,
    retain: options.retain === true,
    maxValueBytes: positiveInteger(options.maxValueBytes, 'maxValueBytes', MQTT_MAX_VALUE, MQTT_MAX_VALUE),
    userProperties: options.userProperties !== false,
    maxInFlight: positiveInteger(options.maxInFlight, 'maxInFlight', 4096, 1_000_000),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs, 'connectTimeoutMs', 10_000, 3_600_000),
    ackTimeoutMs: positiveInteger(options.ackTimeoutMs, 'ackTimeoutMs', 30_000, 3_600_000),
    reconnectMs: positiveInteger(options.reconnectMs, 'reconnectMs', 500, 3_600_000),
  };
  return {
    kind: 'sink-connector',
    connector: MQTT_SINK,
    guarantee: 'at-least-once',
    open: async (context: SinkContext): Promise<SinkWriter> => {
      const clientId =
        options.clientId ??
        `rivulet-${context.pipeline}-${context.name}-${Math.random().toString(36).slice(2, 10)}`;
      const { client } = await connectMqtt(
        MQTT_SINK,
        config.url,
        {
          clientId,
          clean: true,
          username: options.username,
          password: options.password,
          connectTimeout: config.connectTimeoutMs,
          reconnectPeriod: config.reconnectMs,
        },
        config.connectTimeoutMs,
      );
      return new MqttSinkWriter(client, config);
    },
  };
}

interface MqttSinkConfig {
  readonly url: string;
  readonly topic: string | ((key: string | null) => string);
  readonly retain: boolean;
  readonly maxValueBytes: number;
  readonly userProperties: boolean;
  readonly maxInFlight: number;
  readonly ackTimeoutMs: number;
}

const empty = Buffer.alloc(0);

/**
 * One sink's publisher. Ownership: owns its mqtt.js client (ended on close). Ordering: records are
 * published in the order given; mqtt.js resends unacknowledged ones in order after a reconnect.
 * Blocking: `write` waits only while `maxInFlight` PUBACKs are outstanding; `commit` waits for all.
 * Failure: a refused PUBACK or an ack timeout rejects commit with CONNECTOR_FAILED (retryable: the
 * engine reopens and replays from the last commit).
 */
class MqttSinkWriter implements SinkWriter {
  private outstanding = 0;
  private failure: EngineError | undefined;
  private drained: (() => void) | undefined;
  private readonly onAck: (error?: Error) => void;
  private readonly publishOptions: IClientPublishOptions;

  constructor(
    private readonly client: MqttClient,
    private readonly config: MqttSinkConfig,
  ) {
    this.publishOptions = { qos: 1, retain: config.retain };
    client.on('error', () => undefined); // socket errors: mqtt.js reconnects and resends
    this.onAck = (error?: Error) => {
      this.outstanding--;
      if (error !== undefined && error !== null && this.failure === undefined) {
        const reasonCode = (error as Error & { code?: unknown }).code;
        this.failure = new EngineError(
          'CONNECTOR_FAILED',
          `mqttSink: the broker refused a record: ${error.message}`,
          {
            cause: error,
            retryable: reasonCode !== 0x87, // not authorized: reopening does not help
            details: { connector: MQTT_SINK, reasonCode },
          },
        );
      }
      const drained = this.drained;
      if (drained !== undefined) drained();
    };
  }

  async committed(): Promise<undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    // Refuse a record the broker could never take before publishing any of this call.
    for (let i = 0; i < records.length; i++) {
      const value = records[i]!.value;
      if (value !== null && value.byteLength > this.config.maxValueBytes)
        throw new EngineError(
          'INVALID_RECORD',
          `mqttSink: record ${records[i]!.id} has ${value.byteLength} bytes, over maxValueBytes ${this.config.maxValueBytes}`,
          { details: { connector: MQTT_SINK, index: i, id: records[i]!.id, bytes: value.byteLength } },
        );
    }
    const topic = this.config.topic;
    for (let i = 0; i < records.length; i++) {
      if (this.outstanding >= this.config.maxInFlight) await this.waitFor(this.config.maxInFlight - 1);
      const record = records[i]!;
      const name =
        typeof topic === 'string'
          ? topic
          : topic(record.key === null ? null : Buffer.from(record.key).toString('utf8'));
      const value =
        record.value === null
          ? empty
          : Buffer.isBuffer(record.value)
            ? record.value
            : Buffer.from(record.value);
      let publishOptions = this.publishOptions;
      if (this.config.userProperties) {
        const userProperties: Record<string, string> = { 'rivulet.id': record.id };
        if (record.headers !== undefined)
          for (const [k, v] of record.headers) userProperties[k] = Buffer.from(v).toString('utf8');
        publishOptions = { qos: 1, retain: this.config.retain, properties: { userProperties } };
      }
      this.outstanding++;
      this.client.publish(name, value, publishOptions, this.onAck);
    }
  }

  /** Resolves once at most `limit` records await a PUBACK; rejects after ackTimeoutMs. */
  private waitFor(limit: number): Promise<void> {
    if (this.outstanding <= limit) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drained = undefined;
        reject(
          new EngineError(
            'CONNECTOR_FAILED',
            `mqttSink: ${this.outstanding} records unacknowledged after ${this.config.ackTimeoutMs} ms`,
            { details: { connector: MQTT_SINK, url: this.config.url, connected: this.client.connected } },
          ),
        );
      }, this.config.ackTimeoutMs);
      this.drained = () => {
        if (this.outstanding > limit && this.failure === undefined) return;
        clearTimeout(timer);
        this.drained = undefined;
        if (this.failure !== undefined) reject(this.failure);
        else resolve();
      };
    });
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    await this.waitFor(0);
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    this.drained = undefined;
    await this.client.endAsync(true);
  }
}
