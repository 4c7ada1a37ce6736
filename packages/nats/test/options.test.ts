import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEngineError } from 'rivulet/connector';
import { jetStreamSink, jetStreamSource, natsSink, natsSource } from '../src/index.ts';

/** Each factory call must throw INVALID_ARGUMENT naming `option`. */
function assertInvalid(make: () => unknown, option: string): void {
  assert.throws(make, (e: unknown) => {
    assert.ok(isEngineError(e, 'INVALID_ARGUMENT'), `expected INVALID_ARGUMENT, got ${String(e)}`);
    assert.equal(e.details.option, option, e.message);
    assert.ok(e.message.includes(`'${option}'`), `the message names the option: ${e.message}`);
    return true;
  });
}

const servers = 'nats://127.0.0.1:4222';
// biome-ignore lint/suspicious/noExplicitAny: deliberately wrong option types
const anyOptions = (o: unknown) => o as any;

describe('options are validated by the factories', () => {
  test('jetStreamSource', () => {
    assertInvalid(() => jetStreamSource(anyOptions({ stream: 'S' })), 'servers');
    assertInvalid(() => jetStreamSource({ servers: [], stream: 'S' }), 'servers');
    for (const stream of ['', 'a.b', 'a b', 'x*', 'x>', 'a/b'])
      assertInvalid(() => jetStreamSource({ servers, stream }), 'stream');
    for (const partitions of [0, 1.5, -1, '3'])
      assertInvalid(
        () => jetStreamSource(anyOptions({ servers, stream: 'S', subject: 's', partitions })),
        'partitions',
      );
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', partitions: 3 }), 'subject');
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', subject: 'a.*', partitions: 3 }), 'subject');
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', subject: 'a..b' }), 'subject');
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', subject: 'a.>.b' }), 'subject');
    assertInvalid(
      () => jetStreamSource(anyOptions({ servers, stream: 'S', startFrom: 'middle' })),
      'startFrom',
    );
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', fetchBatch: 0 }), 'fetchBatch');
    assertInvalid(() => jetStreamSource({ servers, stream: 'S', fetchExpiresMs: 10 }), 'fetchExpiresMs');
    assertInvalid(() => jetStreamSource(anyOptions({ servers, stream: 'S', fetchbatch: 10 })), 'fetchbatch');
    // Wildcard filters are fine without partitions.
    assert.equal(jetStreamSource({ servers, stream: 'S', subject: 'a.*.>' }).connector, 'nats-jetstream');
  });

  test('jetStreamSink', () => {
    assertInvalid(() => jetStreamSink(anyOptions({ subject: 'a' })), 'servers');
    assertInvalid(() => jetStreamSink(anyOptions({ servers })), 'subject');
    assertInvalid(() => jetStreamSink({ servers, subject: 'a.*' }), 'subject');
    assertInvalid(() => jetStreamSink({ servers, subject: 'a', partitions: 0 }), 'partitions');
    assertInvalid(() => jetStreamSink({ servers, subject: 'a', maxInFlight: 0 }), 'maxInFlight');
    assertInvalid(() => jetStreamSink(anyOptions({ servers, subject: 'a', stream: 'S' })), 'stream');
  });

  test('natsSource and natsSink', () => {
    assertInvalid(() => natsSource(anyOptions({ servers })), 'subject');
    assertInvalid(() => natsSource({ servers, subject: 'a', queue: 'q.1' }), 'queue');
    assertInvalid(() => natsSource({ servers, subject: 'a', maxPending: 0 }), 'maxPending');
    assertInvalid(() => natsSink({ servers, subject: 'a.>' }), 'subject');
    assertInvalid(() => natsSink({ servers: ['bad url'], subject: 'a' }), 'servers');
  });
});
