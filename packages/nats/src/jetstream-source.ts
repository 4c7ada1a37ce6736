import { type Consumer, jetstream, jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { closeNats, connectNats } from './connect-nats.ts';
import { isStreamNotFound, JETSTREAM_SOURCE, JetStreamReader } from './jetstream-reader.ts';
import {
  checkChoice,
  checkInteger,
  checkKnownOptions,
  checkServers,
  checkStreamName,
  checkSubject,
} from './nats-options.ts';

export interface JetStreamSourceOptions {
  /** NATS server URL(s), e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The JetStream stream to read (it must exist). */
  stream: string;
  /**
   * Without `partitions`: a subject filter (wildcards allowed), default all of the stream. With
   * `partitions`: the subject prefix of the partition subjects `<subject>.<p>` (no wildcards).
   */
  subject?: string;
  /** Partition subjects `<subject>.0` .. `<subject>.<partitions-1>`, one split each (as jetStreamSink writes). */
  partitions?: number;
  /** Where a split starts when the engine has no position for it; default 'earliest'. */
  startFrom?: 'earliest' | 'latest';
  /** Messages per pull request (1..10000, default 1000); the read-ahead per split stays below twice this. */
  fetchBatch?: number;
  /** How long a pull request waits on the server (1000..60000 ms, default 5000). */
  fetchExpiresMs?: number;
}

const FEATURES: SourceFeatures = {
  ordered: true,
  persistent: true,
  positioned: true,
  replay: 'exactly-once',
};
const POSITION = /^(0|[1-9][0-9]*)$/;

/**
 * A JetStream stream as a source. Splits are the partition subjects (or the one subject filter); each
 * is read by an ordered, ephemeral pull consumer from the stream sequence after its position. The
 * position is the stream sequence of the last record handed out, so replay after a crash is exactly
 * once and needs no server-side state (`commit` is a no-op). Records keep their user headers and get
 * `rivulet.source.subject`, `.stream` and `.sequence`; the key comes from `Rivulet-Key` (or
 * `Rivulet-Key-Base64`), the timestamp is the stream's receive time.
 */
export function jetStreamSource(options: JetStreamSourceOptions): SourceConnector {
  const connector = JETSTREAM_SOURCE;
  checkKnownOptions(connector, options, [
    'servers',
    'stream',
    'subject',
    'partitions',
    'startFrom',
    'fetchBatch',
    'fetchExpiresMs',
  ]);
  const servers = checkServers(connector, options.servers);
  const stream = checkStreamName(connector, options.stream);
  const partitions =
    options.partitions === undefined
      ? undefined
      : checkInteger(connector, 'partitions', options.partitions, 1, 100_000, 1);
  if (partitions !== undefined && options.subject === undefined)
    throw new EngineError('INVALID_ARGUMENT', `${connector}: option 'partitions' needs option 'subject'`, {
      details: { connector, option: 'subject' },
    });
  const subject =
    options.subject === undefined
      ? '>'
      : checkSubject(connector, 'subject', options.subject, partitions === undefined);
  const startFrom = checkChoice(
    connector,
    'startFrom',
    options.startFrom,
    ['earliest', 'latest'],
    'earliest',
  );
  const fetchBatch = checkInteger(connector, 'fetchBatch', options.fetchBatch, 1, 10_000, 1_000);
  const fetchExpiresMs = checkInteger(
    connector,
    'fetchExpiresMs',
    options.fetchExpiresMs,
    1_000,
    60_000,
    5_000,
  );
  const splits =
    partitions === undefined ? [subject] : Array.from({ length: partitions }, (_, p) => `${subject}.${p}`);

  const open = async (split: string, position: string | undefined): Promise<SourceReader> => {
    if (!splits.includes(split))
      throw new EngineError(
        'INVALID_ARGUMENT',
        `${connector}: '${split}' is not a split of stream '${stream}'`,
        {
          details: { connector, stream, split, splits },
        },
      );
    let after: number | undefined;
    if (position !== undefined) {
      after = POSITION.test(position) ? Number(position) : Number.NaN;
      if (!Number.isSafeInteger(after))
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `${connector}: position ${JSON.stringify(position)} is not a stream sequence`,
          { details: { connector, stream, split, position } },
        );
    }
    const nc = await connectNats(servers, connector, `rivulet ${connector} ${stream} ${split}`);
    try {
      const info = await streamInfo(nc, stream, split);
      const { first_seq: first, last_seq: last } = info.state;
      if (after !== undefined && after > last)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `${connector}: position ${after} is past the end of stream '${stream}' (last sequence ${last}); was the stream recreated?`,
          { details: { connector, stream, split, position, lastSequence: last } },
        );
      if (after !== undefined && after + 1 < first)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `${connector}: records after position ${after} were removed from stream '${stream}' (first sequence ${first})`,
          { details: { connector, stream, split, position, firstSequence: first } },
        );
      after ??= startFrom === 'latest' ? last : Math.max(0, first - 1);
      const js = jetstream(nc, { timeout: 5_000 });
      let consumer: Consumer;
      try {
        consumer = await js.consumers.get(stream, {
          filter_subjects: split,
          opt_start_seq: after + 1,
          inactive_threshold: 60_000,
        });
      } catch (cause) {
        throw new EngineError(
          'CONNECTOR_FAILED',
          `${connector}: cannot read '${split}' from stream '${stream}': ${(cause as Error).message}`,
          { cause, retryable: false, details: { connector, stream, split } },
        );
      }
      return new JetStreamReader({
        nc,
        js,
        stream,
        split,
        position: after,
        fetchBatch,
        fetchExpiresMs,
        consumer,
      });
    } catch (error) {
      await closeNats(nc);
      throw error;
    }
  };

  return {
    kind: 'source-connector',
    connector,
    features: FEATURES,
    splits: async () => splits,
    open,
  };
}

async function streamInfo(nc: NatsConnection, stream: string, split: string): Promise<StreamInfo> {
  const connector = JETSTREAM_SOURCE;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    return await jsm.streams.info(stream);
  } catch (cause) {
    if (isStreamNotFound(cause))
      throw new EngineError('INVALID_ARGUMENT', `${connector}: stream '${stream}' does not exist`, {
        cause,
        details: { connector, option: 'stream', stream, split },
      });
    throw new EngineError(
      'CONNECTOR_UNAVAILABLE',
      `${connector}: cannot query stream '${stream}': ${(cause as Error).message}`,
      { cause, details: { connector, stream, split } },
    );
  }
}
