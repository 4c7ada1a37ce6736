/**
 * A TCP bridge between @platformatic/kafka 1.x and Debian's librdkafka 2.0.2 mock cluster, which speak
 * no common version of ApiVersions, Metadata and Fetch (the client needs ApiVersions >= 3, Metadata >= 9,
 * Fetch >= 12; the mock offers ApiVersions <= 2, Metadata <= 2, Fetch <= 11). The bridge answers
 * ApiVersions itself, advertising only what it can carry, and rewrites Metadata v9 <-> v2 and Fetch
 * v12 <-> v11 field by field (no field changes meaning; v2/v11 lack leader epochs, which become -1).
 * Produce v7, ListOffsets v5 and InitProducerId v4 are the same version on both sides (the bridge
 * repairs the mock's ListOffsets layout, kafka-bridge/list-offsets.ts, and InitProducerId's "new
 * producer" ids, below).
 * The consumer-group APIs (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
 * OffsetFetch) are rewritten by kafka-bridge/group-apis.ts. Everything else is not advertised, so the
 * client refuses it instead of sending it.
 *
 * One listener per mock broker; Metadata responses name the listeners, so clients reconnect through
 * the bridge. A closed upstream connection (a broker set down) closes the client's connection too.
 * Test infrastructure only: the connector talks to a real Kafka broker without it.
 */
import net from 'node:net';
import { type AddressMap, framer, Reader, Writer } from './kafka-bridge/codec.ts';
import {
  createGroupTranslations,
  GROUP_API_VERSIONS,
  type Translation,
  type TranslationContext,
} from './kafka-bridge/group-apis.ts';
import { listOffsetsResponse } from './kafka-bridge/list-offsets.ts';

const API_PRODUCE = 0;
const API_FETCH = 1;
const API_LIST_OFFSETS = 2;
const API_METADATA = 3;
const API_API_VERSIONS = 18;
const API_INIT_PRODUCER_ID = 22;

/** What the bridge advertises: [apiKey, minVersion, maxVersion]. */
const ADVERTISED: ReadonlyArray<readonly [number, number, number]> = [
  [API_PRODUCE, 7, 7],
  [API_FETCH, 12, 12],
  [API_LIST_OFFSETS, 5, 5],
  [API_METADATA, 9, 9],
  [API_API_VERSIONS, 3, 3],
  [API_INIT_PRODUCER_ID, 4, 4],
  ...GROUP_API_VERSIONS,
];

interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Metadata v9 request (flexible) -> v2 request (classic). */
function metadataRequest(r: Reader, w: Writer): void {
  const count = r.uvarint() - 1; // -1: all topics
  const topics: string[] | null = count < 0 ? null : [];
  for (let i = 0; i < count; i++) {
    topics!.push(r.compactStr() ?? '');
    r.skipTags();
  }
  // v2 has no allow_auto_topic_creation: the mock's default applies.
  if (topics === null) w.i32(-1);
  else w.array(topics, (w, t) => w.str(t));
}

/** Metadata v2 response -> v9 response, naming the bridge's listeners instead of the brokers. */
function metadataResponse(r: Reader, w: Writer, addresses: AddressMap): void {
  const brokers = r.array(() => ({ id: r.i32(), host: r.str() ?? '', port: r.i32(), rack: r.str() }));
  const clusterId = r.str();
  const controllerId = r.i32();
  const topics = r.array(() => ({
    error: r.i16(),
    name: r.str() ?? '',
    internal: r.i8() !== 0,
    partitions: r.array(() => ({
      error: r.i16(),
      index: r.i32(),
      leader: r.i32(),
      replicas: r.array(() => r.i32()),
      isr: r.array(() => r.i32()),
    })),
  }));
  w.i32(0); // throttle_time_ms
  w.compactArray(brokers, (w, b) => {
    const via = addresses.get(`${b.host}:${b.port}`) ?? { host: b.host, port: b.port };
    w.i32(b.id).compactStr(via.host).i32(via.port).compactStr(b.rack).noTags();
  });
  w.compactStr(clusterId).i32(controllerId);
  w.compactArray(topics, (w, t) => {
    w.i16(t.error).compactStr(t.name).bool(t.internal);
    w.compactArray(t.partitions, (w, p) => {
      w.i16(p.error).i32(p.index).i32(p.leader).i32(-1); // leader_epoch: unknown to v2
      w.compactArray(p.replicas, (w, n) => w.i32(n));
      w.compactArray(p.isr, (w, n) => w.i32(n));
      w.compactArray([], () => undefined); // offline_replicas
      w.noTags();
    });
    w.i32(-2147483648).noTags(); // topic_authorized_operations: not requested
  });
  w.i32(-2147483648).noTags(); // cluster_authorized_operations
}

/** Fetch v12 request (flexible) -> v11 request (classic). */
function fetchRequest(r: Reader, w: Writer): void {
  w.i32(r.i32()) // replica_id
    .i32(r.i32()) // max_wait_ms
    .i32(r.i32()) // min_bytes
    .i32(r.i32()) // max_bytes
    .i8(r.i8()) // isolation_level
    .i32(r.i32()) // session_id
    .i32(r.i32()); // session_epoch
  const topics = r.compactArray(() => {
    const topic = r.compactStr() ?? '';
    const partitions = r.compactArray(() => {
      const p = { partition: r.i32(), epoch: r.i32(), offset: r.i64() };
      r.i32(); // last_fetched_epoch: not in v11
      const logStart = r.i64();
      const maxBytes = r.i32();
      r.skipTags();
      return { ...p, logStart, maxBytes };
    });
    r.skipTags();
    return { topic, partitions };
  });
  w.array(topics, (w, t) => {
    w.str(t.topic);
    w.array(t.partitions, (w, p) => {
      w.i32(p.partition).i32(p.epoch).i64(p.offset).i64(p.logStart).i32(p.maxBytes);
    });
  });
  const forgotten = r.compactArray(() => {
    const topic = r.compactStr() ?? '';
    const partitions = r.compactArray(() => r.i32());
    r.skipTags();
    return { topic, partitions };
  });
  w.array(forgotten, (w, t) => {
    w.str(t.topic).array(t.partitions, (w, p) => w.i32(p));
  });
  w.str(r.compactStr() ?? ''); // rack_id
}

/** Fetch v11 response -> v12 response. */
function fetchResponse(r: Reader, w: Writer): void {
  w.i32(r.i32()).i16(r.i16()).i32(r.i32()); // throttle, error_code, session_id
  const topics = r.array(() => ({
    topic: r.str() ?? '',
    partitions: r.array(() => {
      const p = {
        index: r.i32(),
        error: r.i16(),
        highWatermark: r.i64(),
        lastStable: r.i64(),
        logStart: r.i64(),
      };
      const abortedCount = r.i32();
      const aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null = abortedCount < 0 ? null : [];
      for (let i = 0; i < abortedCount; i++) aborted!.push({ producerId: r.i64(), firstOffset: r.i64() });
      const preferred = r.i32();
      const records = r.bytes();
      return { ...p, aborted, preferred, records };
    }),
  }));
  w.compactArray(topics, (w, t) => {
    w.compactStr(t.topic);
    w.compactArray(t.partitions, (w, p) => {
      w.i32(p.index).i16(p.error).i64(p.highWatermark).i64(p.lastStable).i64(p.logStart);
      w.compactArray(p.aborted, (w, a) => w.i64(a.producerId).i64(a.firstOffset).noTags());
      w.i32(p.preferred).compactBytes(p.records).noTags();
    });
    w.noTags();
  });
  w.noTags();
}

function apiVersionsResponse(correlationId: number): Buffer {
  // Response header v0 (ApiVersions never has header tags), body v3.
  const w = new Writer().i32(correlationId).i16(0);
  w.compactArray(ADVERTISED, (w, [key, min, max]) => w.i16(key).i16(min).i16(max).noTags());
  return w.i32(0).noTags().frame();
}

interface Pending {
  apiKey: number;
  /** Set when the response must be rewritten by a group-API translation. */
  translation?: Translation;
  context?: TranslationContext;
}

function bridgeConnection(
  client: net.Socket,
  upstreamHost: string,
  upstreamPort: number,
  addresses: AddressMap,
  groupTranslations: ReadonlyMap<number, Translation>,
) {
  const upstream = net.connect(upstreamPort, upstreamHost);
  const pending = new Map<number, Pending>();
  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
  client.on('close', closeBoth);
  upstream.on('close', closeBoth);
  client.setNoDelay(true);
  upstream.setNoDelay(true);

  client.on(
    'data',
    framer((frame) => {
      const r = new Reader(frame);
      const header: RequestHeader = {
        apiKey: r.i16(),
        apiVersion: r.i16(),
        correlationId: r.i32(),
        clientId: r.str(),
      };
      const flexible =
        (header.apiKey === API_METADATA && header.apiVersion >= 9) ||
        (header.apiKey === API_FETCH && header.apiVersion >= 12) ||
        (header.apiKey === API_API_VERSIONS && header.apiVersion >= 3) ||
        (header.apiKey === API_INIT_PRODUCER_ID && header.apiVersion >= 2);
      if (header.apiKey === API_API_VERSIONS) {
        client.write(apiVersionsResponse(header.correlationId));
        return;
      }
      const translation = groupTranslations.get(header.apiKey);
      if (translation && header.apiVersion === translation.clientVersion) {
        r.skipTags(); // request header v2 -> v1
        const w = new Writer()
          .i16(header.apiKey)
          .i16(translation.upstreamVersion)
          .i32(header.correlationId)
          .str(header.clientId);
        let context: TranslationContext;
        try {
          context = translation.request(r, w);
        } catch (error) {
          console.error(String(error));
          closeBoth();
          return;
        }
        pending.set(header.correlationId, { apiKey: header.apiKey, translation, context });
        upstream.write(w.frame());
        return;
      }
      if (header.apiKey === API_METADATA || header.apiKey === API_FETCH) {
        if (flexible) r.skipTags();
        const toVersion = header.apiKey === API_METADATA ? 2 : 11;
        const w = new Writer()
          .i16(header.apiKey)
          .i16(toVersion)
          .i32(header.correlationId)
          .str(header.clientId);
        if (header.apiKey === API_METADATA) metadataRequest(r, w);
        else fetchRequest(r, w);
        pending.set(header.correlationId, { apiKey: header.apiKey });
        upstream.write(w.frame());
        return;
      }
      if (header.apiKey === API_INIT_PRODUCER_ID && header.apiVersion >= 3) {
        // @platformatic/kafka asks for a new idempotent producer with id 0, epoch 0 where the protocol
        // says -1/-1; Kafka ignores them without a transactional id, the mock reads 0/0 as an epoch bump
        // of an unknown producer (UNKNOWN_PRODUCER_ID). Send what the protocol means.
        r.skipTags();
        const transactionalId = r.compactStr();
        const timeoutMs = r.i32();
        const producerId = r.i64();
        const producerEpoch = r.i16();
        const fresh = transactionalId === null && producerId === 0n && producerEpoch === 0;
        const w = new Writer()
          .i16(header.apiKey)
          .i16(header.apiVersion)
          .i32(header.correlationId)
          .str(header.clientId)
          .noTags()
          .compactStr(transactionalId)
          .i32(timeoutMs)
          .i64(fresh ? -1n : producerId)
          .i16(fresh ? -1 : producerEpoch)
          .noTags();
        pending.set(header.correlationId, { apiKey: header.apiKey });
        upstream.write(w.frame());
        return;
      }
      // Same version on both sides: forward untouched.
      pending.set(header.correlationId, { apiKey: header.apiKey });
      const len = Buffer.allocUnsafe(4);
      len.writeInt32BE(frame.length);
      upstream.write(Buffer.concat([len, frame]));
    }),
  );

  upstream.on(
    'data',
    framer((frame) => {
      const r = new Reader(frame);
      const correlationId = r.i32();
      const request = pending.get(correlationId);
      pending.delete(correlationId);
      if (request?.translation) {
        const w = new Writer().i32(correlationId).noTags(); // response header v0 -> v1
        try {
          request.translation.response(r, w, request.context ?? {}, addresses);
        } catch (error) {
          console.error(`bridge: cannot rewrite response of api ${request.apiKey}: ${String(error)}`);
          closeBoth();
          return;
        }
        client.write(w.frame());
        return;
      }
      if (request?.apiKey === API_LIST_OFFSETS) {
        client.write(listOffsetsResponse(frame));
        return;
      }
      if (request?.apiKey === API_METADATA || request?.apiKey === API_FETCH) {
        const w = new Writer().i32(correlationId).noTags(); // response header v1
        if (request.apiKey === API_METADATA) metadataResponse(r, w, addresses);
        else fetchResponse(r, w);
        client.write(w.frame());
        return;
      }
      const len = Buffer.allocUnsafe(4);
      len.writeInt32BE(frame.length);
      client.write(Buffer.concat([len, frame]));
    }),
  );
}

export interface KafkaVersionBridge {
  /** The bridge's listeners, in the order of the upstream bootstrap servers. */
  readonly bootstrapServers: string[];
  close(): Promise<void>;
}

/** Starts one bridge listener per upstream broker ("host:port" each) on 127.0.0.1, free ports. */
export async function startKafkaVersionBridge(upstreams: readonly string[]): Promise<KafkaVersionBridge> {
  const addresses = new Map<string, { host: string; port: number }>();
  // Shared by every connection of every listener: group state spans the members' connections.
  const groupTranslations = createGroupTranslations();
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  for (const upstream of upstreams) {
    const [host, port] = splitHostPort(upstream);
    const server = net.createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      bridgeConnection(client, host, port, addresses, groupTranslations);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    const address = server.address() as net.AddressInfo;
    addresses.set(`${host}:${port}`, { host: '127.0.0.1', port: address.port });
  }
  return {
    bootstrapServers: upstreams.map((u) => {
      const a = addresses.get(u.trim())!;
      return `${a.host}:${a.port}`;
    }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

function splitHostPort(address: string): [string, number] {
  const at = address.trim().lastIndexOf(':');
  return [address.trim().slice(0, at), Number(address.trim().slice(at + 1))];
}
