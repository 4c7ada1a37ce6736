import type { Log, LogClient, TopicConfig, TopicOptions } from '../log/index.ts';
import { EngineError, isEngineError } from '../model/index.ts';

/**
 * Where a store writes its changelog: one partition of a compacted topic, written by this store only.
 * The store never creates or names the topic: its creator does (the runtime names it
 * `<pipeline>-<store>-changelog` and creates it with `ensureChangelogTopic`).
 */
export interface Changelog {
  readonly log: LogClient;
  readonly topic: string;
  readonly partition: number;
}

/**
 * Creates `topic` as a compacted topic with `partitions` partitions unless it exists. An existing topic
 * must be compacted and have at least `partitions` partitions (INVALID_ARGUMENT otherwise: a delete-policy
 * topic would lose state to retention). Extra topic options (segment size, tombstone retention...) apply
 * only when the topic is created.
 */
export async function ensureChangelogTopic(
  log: Log,
  topic: string,
  options: { partitions: number } & Omit<TopicOptions, 'partitions' | 'cleanup'>,
): Promise<TopicConfig> {
  if (!log.hasTopic(topic)) {
    try {
      return await log.createTopic(topic, { ...options, cleanup: 'compact' });
    } catch (error) {
      if (!isEngineError(error, 'TOPIC_EXISTS')) throw error;
    }
  }
  const config = log.topicConfig(topic);
  if (config.cleanup !== 'compact') {
    throw new EngineError('INVALID_ARGUMENT', `changelog topic ${topic} exists but is not compacted`, {
      details: { topic, cleanup: config.cleanup },
    });
  }
  if (config.partitions < options.partitions) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `changelog topic ${topic} has ${config.partitions} partitions, ${options.partitions} needed`,
      { details: { topic, partitions: config.partitions, needed: options.partitions } },
    );
  }
  return config;
}
