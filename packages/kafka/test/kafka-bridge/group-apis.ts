/**
 * Consumer-group API translations for the test bridge: the versions @platformatic/kafka 1.35 sends
 * (flexible, "compact" encodings) rewritten field by field to the newest versions the librdkafka 2.0.2
 * mock answers (classic encodings), and the answers back. The mock's maxima, from its ApiVersions
 * answer: OffsetCommit 7, OffsetFetch 5, FindCoordinator 2, JoinGroup 5, Heartbeat 3, LeaveGroup 1,
 * SyncGroup 3.
 *
 * Fields the older version lacks are filled with what the protocol says an old broker means:
 * FindCoordinator v4 batches keys (v2 takes one: the client sends one, more are refused), LeaveGroup v4
 * batches members (v1 takes one: the client sends its own), OffsetFetch v8 batches groups (v5 takes
 * one) and has require_stable (v5 has none: the mock has no pending transactional offsets). A request
 * the bridge cannot carry throws, which closes the client's connection (the client sees a network
 * error instead of a wrong answer). Test infrastructure only.
 */
import type { AddressMap, Reader, Writer } from './codec.ts';

export const API_OFFSET_COMMIT = 8;
export const API_OFFSET_FETCH = 9;
export const API_FIND_COORDINATOR = 10;
export const API_JOIN_GROUP = 11;
export const API_HEARTBEAT = 12;
export const API_LEAVE_GROUP = 13;
export const API_SYNC_GROUP = 14;

/** What a response rewrite needs from its request (the fields the old response no longer echoes). */
export interface TranslationContext {
  key?: string;
  generation?: number;
  groupId?: string;
  memberId?: string;
  groupInstanceId?: string | null;
}

export interface Translation {
  /** The version the client sends (the only one the bridge advertises for this API). */
  readonly clientVersion: number;
  /** The version sent to the mock. */
  readonly upstreamVersion: number;
  /** Rewrites a request body (header already written); returns what the response rewrite needs. */
  request(r: Reader, w: Writer): TranslationContext;
  /** Rewrites a response body (header already written). */
  response(r: Reader, w: Writer, context: TranslationContext, addresses: AddressMap): void;
}

const MEMBER_ERRORS = new Set([25 /* UNKNOWN_MEMBER_ID */, 82 /* FENCED_INSTANCE_ID */]);

/** FindCoordinator v4 (batch of keys) <-> v2 (one key). */
const findCoordinator: Translation = {
  clientVersion: 4,
  upstreamVersion: 2,
  request(r, w) {
    const keyType = r.i8();
    const keys = r.compactArray(() => r.compactStr() ?? '');
    if (keys.length !== 1)
      throw new Error(`bridge: FindCoordinator with ${keys.length} keys (only one can be carried to v2)`);
    w.str(keys[0]!).i8(keyType);
    return { key: keys[0]! };
  },
  response(r, w, context, addresses) {
    const throttle = r.i32();
    const error = r.i16();
    const message = r.str();
    const node = r.i32();
    const host = r.str() ?? '';
    const port = r.i32();
    const via = addresses.get(`${host}:${port}`) ?? { host, port };
    w.i32(throttle);
    w.compactArray([context.key ?? ''], (w, key) => {
      w.compactStr(key).i32(node).compactStr(via.host).i32(via.port).i16(error).compactStr(message).noTags();
    });
    w.noTags();
  },
};

/** JoinGroup v6 <-> v5: same fields, compact vs classic encodings. */
const joinGroup: Translation = {
  clientVersion: 6,
  upstreamVersion: 5,
  request(r, w) {
    w.str(r.compactStr() ?? '') // group_id
      .i32(r.i32()) // session_timeout_ms
      .i32(r.i32()) // rebalance_timeout_ms
      .str(r.compactStr() ?? '') // member_id
      .str(r.compactStr()) // group_instance_id (nullable)
      .str(r.compactStr() ?? ''); // protocol_type
    const protocols = r.compactArray(() => {
      const p = { name: r.compactStr() ?? '', metadata: r.compactBytes() ?? Buffer.alloc(0) };
      r.skipTags();
      return p;
    });
    w.array(protocols, (w, p) => w.str(p.name).bytes(p.metadata));
    return {};
  },
  response(r, w) {
    w.i32(r.i32()) // throttle_time_ms
      .i16(r.i16()) // error_code
      .i32(r.i32()) // generation_id
      .compactStr(r.str()) // protocol_name
      .compactStr(r.str() ?? '') // leader
      .compactStr(r.str() ?? ''); // member_id
    const members = r.array(() => ({
      memberId: r.str() ?? '',
      groupInstanceId: r.str(),
      metadata: r.bytes() ?? Buffer.alloc(0),
    }));
    w.compactArray(members, (w, m) => {
      w.compactStr(m.memberId).compactStr(m.groupInstanceId).compactBytes(m.metadata).noTags();
    });
    w.noTags();
  },
};

const INVALID_REQUEST = 42;

/**
 * SyncGroup v4 <-> v3, plus a repair: the 2.0.2 mock completes a generation as soon as the leader's
 * SyncGroup carries every member's assignment, and then answers a follower's SyncGroup arriving after
 * it with INVALID_REQUEST (its group is already "up"), where Kafka answers with the follower's
 * assignment. The bridge keeps the leader's assignments (per group, generation and member; the last
 * generation only) and answers such a follower with its own.
 */
function syncGroup(): Translation {
  const assignments = new Map<string, { generation: number; byMember: Map<string, Buffer> }>();
  return {
    clientVersion: 4,
    upstreamVersion: 3,
    request(r, w) {
      const groupId = r.compactStr() ?? '';
      const generation = r.i32();
      const memberId = r.compactStr() ?? '';
      w.str(groupId).i32(generation).str(memberId).str(r.compactStr()); // group_instance_id
      const list = r.compactArray(() => {
        const a = { memberId: r.compactStr() ?? '', assignment: r.compactBytes() ?? Buffer.alloc(0) };
        r.skipTags();
        return a;
      });
      w.array(list, (w, a) => w.str(a.memberId).bytes(a.assignment));
      if (list.length > 0)
        assignments.set(groupId, {
          generation,
          byMember: new Map(list.map((a) => [a.memberId, Buffer.from(a.assignment)])),
        });
      return { groupId, memberId, generation };
    },
    response(r, w, context) {
      const throttle = r.i32();
      let error = r.i16();
      let assignment = r.bytes() ?? Buffer.alloc(0);
      const known = assignments.get(context.groupId ?? '');
      const mine =
        known !== undefined && known.generation === context.generation
          ? known.byMember.get(context.memberId ?? '')
          : undefined;
      if (error === INVALID_REQUEST && mine !== undefined) {
        error = 0;
        assignment = mine;
      }
      w.i32(throttle).i16(error).compactBytes(assignment).noTags();
    },
  };
}

/** Heartbeat v4 <-> v3. */
const heartbeat: Translation = {
  clientVersion: 4,
  upstreamVersion: 3,
  request(r, w) {
    w.str(r.compactStr() ?? '') // group_id
      .i32(r.i32()) // generation_id
      .str(r.compactStr() ?? '') // member_id
      .str(r.compactStr()); // group_instance_id
    return {};
  },
  response(r, w) {
    w.i32(r.i32()).i16(r.i16()).noTags(); // throttle_time_ms, error_code
  },
};

/** LeaveGroup v4 (batch of members) <-> v1 (one member). */
const leaveGroup: Translation = {
  clientVersion: 4,
  upstreamVersion: 1,
  request(r, w) {
    const groupId = r.compactStr() ?? '';
    const members = r.compactArray(() => {
      const m = { memberId: r.compactStr() ?? '', groupInstanceId: r.compactStr() };
      r.skipTags();
      return m;
    });
    if (members.length !== 1)
      throw new Error(`bridge: LeaveGroup with ${members.length} members (only one can be carried to v1)`);
    w.str(groupId).str(members[0]!.memberId);
    return { groupId, memberId: members[0]!.memberId, groupInstanceId: members[0]!.groupInstanceId };
  },
  response(r, w, context) {
    const throttle = r.i32();
    const error = r.i16();
    // v1 has one error for its one member; v4 reports member errors per member, group errors on top.
    const memberError = MEMBER_ERRORS.has(error);
    w.i32(throttle).i16(memberError ? 0 : error);
    w.compactArray([context], (w, m) => {
      w.compactStr(m.memberId ?? '')
        .compactStr(m.groupInstanceId ?? null)
        .i16(memberError ? error : 0)
        .noTags();
    });
    w.noTags();
  },
};

/** OffsetCommit v8 <-> v7: same fields, compact vs classic encodings. */
const offsetCommit: Translation = {
  clientVersion: 8,
  upstreamVersion: 7,
  request(r, w) {
    w.str(r.compactStr() ?? '') // group_id
      .i32(r.i32()) // generation_id
      .str(r.compactStr() ?? '') // member_id
      .str(r.compactStr()); // group_instance_id
    const topics = r.compactArray(() => {
      const name = r.compactStr() ?? '';
      const partitions = r.compactArray(() => {
        const p = { index: r.i32(), offset: r.i64(), epoch: r.i32(), metadata: r.compactStr() };
        r.skipTags();
        return p;
      });
      r.skipTags();
      return { name, partitions };
    });
    w.array(topics, (w, t) => {
      w.str(t.name).array(t.partitions, (w, p) => w.i32(p.index).i64(p.offset).i32(p.epoch).str(p.metadata));
    });
    return {};
  },
  response(r, w) {
    w.i32(r.i32()); // throttle_time_ms
    const topics = r.array(() => ({
      name: r.str() ?? '',
      partitions: r.array(() => ({ index: r.i32(), error: r.i16() })),
    }));
    w.compactArray(topics, (w, t) => {
      w.compactStr(t.name);
      w.compactArray(t.partitions, (w, p) => w.i32(p.index).i16(p.error).noTags());
      w.noTags();
    });
    w.noTags();
  },
};

/** OffsetFetch v8 (batch of groups, require_stable) <-> v5 (one group). */
const offsetFetch: Translation = {
  clientVersion: 8,
  upstreamVersion: 5,
  request(r, w) {
    const groups = r.compactArray(() => {
      const groupId = r.compactStr() ?? '';
      const topics = r.nullableCompactArray(() => {
        const name = r.compactStr() ?? '';
        const partitions = r.compactArray(() => r.i32());
        r.skipTags();
        return { name, partitions };
      });
      r.skipTags();
      return { groupId, topics };
    });
    r.i8(); // require_stable: v5 has none (no pending transactional offsets on the mock)
    if (groups.length !== 1)
      throw new Error(`bridge: OffsetFetch for ${groups.length} groups (only one can be carried to v5)`);
    const { groupId, topics } = groups[0]!;
    w.str(groupId).array(topics, (w, t) => w.str(t.name).array(t.partitions, (w, p) => w.i32(p)));
    return { groupId };
  },
  response(r, w, context) {
    w.i32(r.i32()); // throttle_time_ms
    const topics = r.array(() => ({
      name: r.str() ?? '',
      partitions: r.array(() => ({
        index: r.i32(),
        offset: r.i64(),
        epoch: r.i32(),
        metadata: r.str(),
        error: r.i16(),
      })),
    }));
    const error = r.i16();
    w.compactArray([context.groupId ?? ''], (w, groupId) => {
      w.compactStr(groupId);
      w.compactArray(topics, (w, t) => {
        w.compactStr(t.name);
        w.compactArray(t.partitions, (w, p) => {
          w.i32(p.index).i64(p.offset).i32(p.epoch).compactStr(p.metadata).i16(p.error).noTags();
        });
        w.noTags();
      });
      w.i16(error).noTags();
    });
    w.noTags();
  },
};

/** apiKey -> translation, for every group API the bridge carries; one set (shared state) per bridge. */
export function createGroupTranslations(): ReadonlyMap<number, Translation> {
  return new Map([
    [API_FIND_COORDINATOR, findCoordinator],
    [API_JOIN_GROUP, joinGroup],
    [API_SYNC_GROUP, syncGroup()],
    [API_HEARTBEAT, heartbeat],
    [API_LEAVE_GROUP, leaveGroup],
    [API_OFFSET_COMMIT, offsetCommit],
    [API_OFFSET_FETCH, offsetFetch],
  ]);
}

/** The versions the bridge advertises for the group APIs: [apiKey, min, max]. */
export const GROUP_API_VERSIONS: ReadonlyArray<readonly [number, number, number]> = Array.from(
  createGroupTranslations(),
  ([key, t]) => [key, t.clientVersion, t.clientVersion] as const,
);
