/**
 * A consumer-group member run as a child process by kafka-group-rebalance.test.ts:
 * `node --import tsx test/kafka-group-member.ts <bootstrap,servers> <topic> <groupId>`.
 * Uses @platformatic/kafka's group consumer directly (the connector's sources do not join groups: the
 * engine assigns splits and owns positions). Reads from the group's committed offsets (earliest when
 * none), commits each record after reporting it, and reports on stdout, one JSON object per line:
 * {"event":"assigned","generation","partitions"} on every completed join, {"event":"record",
 * "partition","offset","value"} per record, {"event":"committed","partition","offset"} per commit
 * (offset = the next one to read), {"event":"error","message"} for a failed commit, and
 * {"event":"fatal","message"} before exiting 1. Stops on SIGTERM (leaving the group) or SIGKILL.
 */
import { Consumer } from '@platformatic/kafka';

const [bootstrap, topic, groupId] = process.argv.slice(2);
if (!bootstrap || !topic || !groupId)
  throw new Error('usage: kafka-group-member.ts <bootstrap> <topic> <groupId>');

/** The error and the Kafka error names it aggregates. */
function describe(error: unknown): string {
  const nested = (error as { errors?: Array<{ apiId?: string; message?: string }> }).errors ?? [];
  return `${String(error)} [${nested.map((e) => e.apiId ?? e.message).join(', ')}]`;
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const consumer = new Consumer({
  clientId: 'rivulet-group-test',
  groupId,
  bootstrapBrokers: bootstrap.split(','),
  // Short, so the mock notices a killed member quickly (it also waits this long to complete a rebalance).
  sessionTimeout: 3_000,
  rebalanceTimeout: 3_000,
  heartbeatInterval: 200,
});
consumer.on('consumer:group:join', (payload) => {
  const partitions = (payload.assignments ?? [])
    .filter((a) => a.topic === topic)
    .flatMap((a) => a.partitions)
    .sort((a, b) => a - b);
  report({ event: 'assigned', generation: payload.generationId, partitions });
});
process.once('SIGTERM', () => {
  consumer.close(true, () => process.exit(0));
});

try {
  const stream = await consumer.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
    maxWaitTime: 200,
  });
  for await (const message of stream) {
    report({
      event: 'record',
      partition: message.partition,
      offset: String(message.offset),
      value: message.value.toString(),
    });
    try {
      await message.commit();
      report({ event: 'committed', partition: message.partition, offset: String(message.offset + 1n) });
    } catch (error) {
      report({ event: 'error', message: describe(error) });
    }
  }
} catch (error) {
  report({ event: 'fatal', message: describe(error) });
  process.exit(1);
}
