import { type Duration, EngineError, parseDuration } from '../model/index.ts';
import { type Compression, compressionSupported } from './compression.ts';
import { type DurabilityConfig, type DurabilityOptions, resolveDurability } from './durability.ts';

/** What a user may set when creating a topic. Unset fields take the log's defaults. */
export interface TopicOptions {
  partitions?: number;
  durability?: DurabilityOptions;
  /** `delete` (default) drops old segments by retention; `compact` keeps the latest record per key. */
  cleanup?: 'delete' | 'compact';
  retention?: { time?: Duration; bytes?: number };
  segmentBytes?: number;
  compression?: Compression;
  /** How long a tombstone stays readable in a compacted topic (default 1 day). */
  tombstoneRetention?: Duration;
  maxRecordBytes?: number;
}

/** A topic's resolved, persisted configuration (topic.json). */
export interface TopicConfig {
  name: string;
  partitions: number;
  durability: DurabilityConfig;
  cleanup: 'delete' | 'compact';
  retentionMs: number | undefined;
  retentionBytes: number | undefined;
  segmentBytes: number;
  compression: Compression;
  tombstoneRetentionMs: number;
  maxRecordBytes: number;
}

export interface TopicDefaults {
  durability: DurabilityConfig;
  segmentBytes: number;
  maxRecordBytes: number;
  maxBatchBytes: number;
}

const MAX_PARTITIONS = 4096;

export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    throw new EngineError(
      'INVALID_TOPIC_NAME',
      `invalid topic name '${String(name)}': use 1-249 characters from A-Z a-z 0-9 . _ -`,
      { details: { topic: name } },
    );
  }
}

function positiveInteger(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${what} must be an integer between 1 and ${max}, got ${String(value)}`,
    );
  }
  return value;
}

export function resolveTopicConfig(
  name: string,
  options: TopicOptions,
  defaults: TopicDefaults,
): TopicConfig {
  validateTopicName(name);
  const cleanup = options.cleanup ?? 'delete';
  if (cleanup !== 'delete' && cleanup !== 'compact') {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `cleanup must be 'delete' or 'compact', got '${String(cleanup)}'`,
    );
  }
  const compression = options.compression ?? 'none';
  if (!['none', 'gzip', 'zstd'].includes(compression)) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `unknown compression '${String(compression)}' (none | gzip | zstd)`,
    );
  }
  if (!compressionSupported(compression)) {
    throw new EngineError(
      'UNSUPPORTED_COMPRESSION',
      `compression '${compression}' needs node:zlib zstd (Node >= 22.15)`,
    );
  }
  const maxRecordBytes = positiveInteger(
    options.maxRecordBytes ?? defaults.maxRecordBytes,
    'maxRecordBytes',
    defaults.maxBatchBytes - 1024,
  );
  return {
    name,
    partitions: positiveInteger(options.partitions ?? 1, 'partitions', MAX_PARTITIONS),
    durability:
      options.durability === undefined ? defaults.durability : resolveDurability(options.durability),
    cleanup,
    retentionMs: options.retention?.time === undefined ? undefined : parseDuration(options.retention.time),
    retentionBytes:
      options.retention?.bytes === undefined
        ? undefined
        : positiveInteger(options.retention.bytes, 'retention.bytes'),
    segmentBytes: positiveInteger(options.segmentBytes ?? defaults.segmentBytes, 'segmentBytes', 2 ** 31 - 1),
    compression,
    tombstoneRetentionMs: parseDuration(options.tombstoneRetention ?? '1d'),
    maxRecordBytes,
  };
}
