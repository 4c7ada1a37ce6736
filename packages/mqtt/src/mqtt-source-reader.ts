import type { IConnackPacket, IPublishPacket, ISubscriptionMap, MqttClient } from 'mqtt';
import {
  type ConnectorRecord,
  EngineError,
  type Headers,
  PollWaiter,
  type SourceBatch,
  type SourceReader,
} from 'rivulet/connector';
import { connectMqtt } from './mqtt-connect.ts';
import { MQTT_SOURCE, type MqttSourceConfig } from './mqtt-source.ts';

/**
 * Passed to mqtt.js's `handleMessage` callback for QoS 1 records: an error there makes mqtt.js go on with
 * the next packet without sending the PUBACK, which this reader sends itself at commit. (Holding the
 * callback instead would stall every later packet: mqtt.js handles incoming packets one at a time.)
 */
const deferAck = new Error('rivulet: PUBACK deferred to commit');
/** mqtt.js stops reading the socket while this many QoS 0 records wait for a poll. */
const QOS0_BUFFER = 1024;
const TOPIC_CACHE_LIMIT = 4096;
const TOPIC_HEADER = 'rivulet.source.mqtt-topic';
const NO_ID = -1;

/** mqtt.js's internal packet writer (stable across mqtt 4 and 5): queues a packet on the socket. */
interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void;
}

/**
 * One MQTT session being read. Ownership: the reader owns its mqtt.js client and ends it on close.
 * Blocking: `poll` waits for the broker's push (mqtt.js reads the socket); the broker stops sending
 * QoS 1 records once `maxInFlight` are unacknowledged (MQTT 5 Receive Maximum), and QoS 0 records are
 * held back by not reading the socket while QOS0_BUFFER records wait. Ordering: records come out in the
 * order the broker sent them. Failure: lost connections are reconnected by mqtt.js inside; a broker
 * refusing the client or a session taken over by another client fails the next poll (CONNECTOR_FAILED).
 */
export class MqttSourceReader implements SourceReader {
  /** Records received, not yet polled, from index `head`; `ids[i]` is the QoS 1 packet id of `records[i]`. */
  private records: ConnectorRecord[] = [];
  private ids: number[] = [];
  private head = 0;
  /** Packet ids of records polled and not yet committed, from index `deliveredHead`, in delivery order. */
  private delivered: number[] = [];
  private deliveredHead = 0;
  /** Packet ids the broker awaits a PUBACK for (buffered or delivered): a DUP resend of one is dropped. */
  private readonly unacknowledged = new Set<number>();
  /** Committed while disconnected: acknowledged once the session is back. */
  private ackOnReconnect: number[] = [];
  /** Records returned so far, counting from the position the reader was opened at. */
  private position: number;
  private committedPosition: number;
  private readonly waiter = new PollWaiter();
  private held: ((error?: Error) => void) | undefined;
  private failure: EngineError | undefined;
  private closed = false;
  private readonly topicKeys = new Map<string, Buffer>();

  private constructor(
    private readonly config: MqttSourceConfig,
    private readonly client: MqttClient,
    start: number,
  ) {
    this.position = start;
    this.committedPosition = start;
  }

  static async open(config: MqttSourceConfig, start: number): Promise<MqttSourceReader> {
    let reader: MqttSourceReader | undefined;
    const { client } = await connectMqtt(
      MQTT_SOURCE,
      config.url,
      {
        clientId: config.clientId,
        clean: !config.persistent,
        username: config.username,
        password: config.password,
        connectTimeout: config.connectTimeoutMs,
        reconnectPeriod: config.reconnectMs,
        properties: {
          receiveMaximum: config.maxInFlight,
          sessionExpiryInterval: config.persistent ? config.sessionExpirySeconds : 0,
        },
      },
      config.connectTimeoutMs,
      // Hooked before the CONNACK: a resumed session's queue starts flowing right after it.
      (client) => {
        reader = new MqttSourceReader(config, client, start);
        client.handleMessage = (packet, callback) => reader!.receive(packet, callback);
      },
    );
    const opened = reader!;
    client.on('error', (error: Error & { code?: unknown }) => opened.onError(error));
    client.on('connect', (connack) => opened.onReconnect(connack));
    client.on('disconnect', (packet) => {
      if (packet.reasonCode === 0x8e)
        opened.fail(
          new EngineError(
            'CONNECTOR_FAILED',
            `mqttSource: another client took over the session ${config.clientId ?? ''}`,
            { details: { connector: MQTT_SOURCE, clientId: config.clientId, reasonCode: packet.reasonCode } },
          ),
        );
    });
    try {
      const subscriptions: ISubscriptionMap = {};
      // rh 1: retained records only for a new subscription, not again on every reopen of a session.
      for (const topic of config.topics)
        subscriptions[topic] = { qos: config.qos, rh: config.persistent ? 1 : 0 };
      const granted = await client.subscribeAsync(subscriptions);
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length > 0)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `mqttSource: the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')} (reason ${refused[0]!.qos})`,
          { retryable: false, details: { connector: MQTT_SOURCE, topics: refused.map((g) => g.topic) } },
        );
    } catch (error) {
      opened.closed = true;
      client.end(true);
      if (error instanceof EngineError) throw error;
      throw new EngineError('CONNECTOR_UNAVAILABLE', `mqttSource: subscribing failed: ${String(error)}`, {
        cause: error,
        details: { connector: MQTT_SOURCE, url: config.url },
      });
    }
    return opened;
  }

  /** mqtt.js's per-message hook: called for every PUBLISH, one at a time, in arrival order. */
  private receive(packet: IPublishPacket, callback: (error?: Error) => void): void {
    const qos1 = packet.qos === 1;
    if (this.closed) {
      callback(qos1 ? deferAck : undefined);
      return;
    }
    let id = NO_ID;
    if (qos1) {
      id = packet.messageId!;
      // A resend after a reconnect of a record this reader holds: it is already on its way.
      if (packet.dup && this.unacknowledged.has(id)) {
        callback(deferAck);
        return;
      }
      this.unacknowledged.add(id);
    }
    this.records.push(this.toRecord(packet));
    this.ids.push(id);
    this.waiter.wake();
    if (!qos1 && this.records.length - this.head >= QOS0_BUFFER) {
      this.held = callback;
      return;
    }
    callback(qos1 ? deferAck : undefined);
  }

  private toRecord(packet: IPublishPacket): ConnectorRecord {
    const topic = typeof packet.topic === 'string' ? packet.topic : String(packet.topic);
    let key = this.topicKeys.get(topic);
    if (key === undefined) {
      if (this.topicKeys.size >= TOPIC_CACHE_LIMIT) this.topicKeys.clear();
      key = Buffer.from(topic);
      this.topicKeys.set(topic, key);
    }
    const headers: Headers = new Map();
    let timestamp = -1;
    const properties = packet.properties?.userProperties;
    if (properties !== undefined)
      for (const name of Object.keys(properties)) {
        const raw = properties[name];
        const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
        if (value === undefined) continue;
        headers.set(name, Buffer.from(value));
        if (name === 'ts' && /^\d{1,15}$/.test(value)) timestamp = Number(value);
      }
    headers.set(TOPIC_HEADER, key);
    const payload = packet.payload;
    return {
      key,
      value: typeof payload === 'string' ? Buffer.from(payload) : payload,
      timestamp: timestamp >= 0 ? timestamp : Date.now(),
      headers,
    };
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    this.throwIfFailed();
    if (this.records.length === this.head && maxWaitMs > 0 && signal?.aborted !== true) {
      await this.waiter.wait(maxWaitMs, signal);
      this.throwIfFailed();
    }
    const available = this.records.length - this.head;
    const count = Math.min(available, Math.max(0, maxRecords));
    if (count === 0) return { records: [], position: String(this.position) };
    const from = this.head;
    const records = this.records.slice(from, from + count);
    for (let i = from; i < from + count; i++) this.delivered.push(this.ids[i]!);
    this.head += count;
    this.position += count;
    if (this.head === this.records.length) {
      this.records = [];
      this.ids = [];
      this.head = 0;
    } else if (this.head >= 4096) {
      this.records = this.records.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
    const held = this.held;
    if (held !== undefined && this.records.length - this.head < QOS0_BUFFER) {
      this.held = undefined;
      held();
    }
    return { records, position: String(this.position) };
  }

  async commit(position: string): Promise<void> {
    this.throwIfFailed();
    const upTo = /^\d{1,15}$/.test(position) ? Number(position) : Number.NaN;
    if (!(upTo <= this.position))
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `mqttSource: commit(${JSON.stringify(position)}) names no position this reader returned (last ${this.position})`,
        { details: { connector: MQTT_SOURCE, position } },
      );
    if (upTo <= this.committedPosition) return;
    const count = upTo - this.committedPosition;
    const connected = this.client.connected;
    for (let i = this.deliveredHead; i < this.deliveredHead + count; i++) {
      const id = this.delivered[i]!;
      if (id === NO_ID) continue;
      this.unacknowledged.delete(id);
      if (connected) this.sendPuback(id);
      else this.ackOnReconnect.push(id);
    }
    this.deliveredHead += count;
    this.committedPosition = upTo;
    if (this.deliveredHead === this.delivered.length) {
      this.delivered = [];
      this.deliveredHead = 0;
    } else if (this.deliveredHead >= 4096) {
      this.delivered = this.delivered.slice(this.deliveredHead);
      this.deliveredHead = 0;
    }
  }

  private sendPuback(messageId: number): void {
    // mqtt.js has no public call to acknowledge later; _sendPacket writes the packet to the socket.
    (this.client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
  }

  private onReconnect(connack: IConnackPacket): void {
    if (this.closed) return;
    if (connack.sessionPresent === true && this.config.persistent) {
      const ids = this.ackOnReconnect;
      this.ackOnReconnect = [];
      for (const id of ids) this.sendPuback(id);
      return;
    }
    // The broker lost the session: the packet ids held refer to nothing now (and acknowledging one could
    // acknowledge a new record of the same id before it is committed), so forget them.
    this.ackOnReconnect = [];
    this.unacknowledged.clear();
    this.ids.fill(NO_ID);
    this.delivered.fill(NO_ID);
  }

  private onError(error: Error & { code?: unknown }): void {
    // Socket errors: mqtt.js reconnects by itself. A CONNACK refusal cannot be fixed by waiting.
    if (typeof error.code === 'number' && error.code >= 0x80 && !this.client.connected)
      this.fail(
        new EngineError(
          'CONNECTOR_FAILED',
          `mqttSource: the broker refused the reconnect: ${error.message}`,
          {
            cause: error,
            retryable: false,
            details: { connector: MQTT_SOURCE, url: this.config.url, reasonCode: error.code },
          },
        ),
      );
  }

  private fail(error: EngineError): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = error;
    this.client.end(true);
    this.waiter.wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed)
      throw new EngineError('CONNECTOR_FAILED', 'mqttSource: the reader is closed', {
        retryable: false,
        details: { connector: MQTT_SOURCE },
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter.wake();
    this.held = undefined;
    // A normal DISCONNECT: a persistent session stays with the broker, records not acknowledged in it.
    await this.client.endAsync(this.failure !== undefined || !this.client.connected);
  }
}
