import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ADMIN, withServer } from './server-harness.ts';

/**
 * The server's limits against misbehaving clients, over raw sockets where the client's pace matters:
 * an oversize Content-Length is refused with 413 before the body is sent (the client sends only a few
 * bytes of the announced 100 MB and still gets the answer, and the server closes the connection rather
 * than wait for the rest); a chunked body past the limit is cut while streaming; a flood from one client
 * gets 429 with a Retry-After of whole seconds; a client sending its headers a byte at a time is
 * disconnected once the request timeout passes.
 */

function open(address: string): Promise<Socket> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection, or rejects after `timeoutMs`. */
function readUntilClosed(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `the server did not close the connection within ${timeoutMs} ms; got ${JSON.stringify(text)}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

test('an oversize Content-Length gets 413 PAYLOAD_TOO_LARGE without the body being read', async () => {
  await withServer({ limits: { bodyBytes: 1024 } }, async (ctx) => {
    await ctx.engine.log.createTopic('t');
    const socket = await open(ctx.server.address);
    const started = performance.now();
    const closed = readUntilClosed(socket, 5000);
    socket.write(
      'POST /api/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 104857600\r\n\r\n{"records":[{"value":1}',
    );
    const answer = await closed;
    const elapsed = performance.now() - started;
    assert.match(answer, /^HTTP\/1\.1 413 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string };
    assert.equal(body.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(elapsed < 4000, `answered and closed in ${elapsed} ms`);
    assert.equal(ctx.engine.log.partition('t', 0).highWatermark, 0);

    // A body under the limit on the same server is served.
    const small = await ctx.call('POST', '/api/topics/t/records', {
      token: ADMIN,
      body: { records: [{ value: 1 }] },
    });
    assert.equal(small.status, 200);
  });
});

test('a chunked body past the limit is cut with 413 while it streams', async () => {
  await withServer({ limits: { bodyBytes: 1024 } }, async (ctx) => {
    await ctx.engine.log.createTopic('t');
    const socket = await open(ctx.server.address);
    const closed = readUntilClosed(socket, 5000);
    socket.write(
      'POST /api/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = `{"records":[${Array.from({ length: 100 }, () => '{"value":"0123456789"}').join(',')}]}`;
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const answer = await closed;
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"code":"PAYLOAD_TOO_LARGE"/);
    assert.equal(ctx.engine.log.partition('t', 0).highWatermark, 0);
  });
});

test('a flood of requests from one client gets 429 RATE_LIMITED with Retry-After in whole seconds', async () => {
  const rate = 20;
  await withServer({ limits: { requestsPerSecond: rate } }, async (ctx) => {
    const answers = await Promise.all(Array.from({ length: 150 }, () => ctx.call('GET', '/healthz')));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    assert.equal(ok.length + limited.length, answers.length);
    // The burst is twice the rate; a few more may pass as the bucket refills during the flood.
    assert.ok(ok.length >= 2 * rate && ok.length < 2 * rate + 40, `${ok.length} passed`);
    assert.ok(limited.length > 0);
    for (const a of limited) {
      assert.equal(a.body.code, 'RATE_LIMITED');
      const retry = a.headers.get('retry-after');
      assert.match(retry ?? '', /^[1-9][0-9]*$/, `Retry-After ${retry}`);
    }
  });
});

test('a client sending its headers a byte at a time is cut once the request timeout passes', async () => {
  const timeoutMs = 500;
  await withServer({ limits: { requestTimeoutMs: timeoutMs } }, async (ctx) => {
    const socket = await open(ctx.server.address);
    const request =
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    const started = performance.now();
    const closed = readUntilClosed(socket, 10_000);
    let sent = 0;
    let open_ = true;
    socket.once('close', () => {
      open_ = false;
    });
    // One byte every 100 ms: the whole request would take ~8 s, far past the 500 ms timeout.
    const writer = (async () => {
      while (open_ && sent < request.length) {
        socket.write(request[sent]!);
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const answer = await closed;
    const elapsed = performance.now() - started;
    await writer;
    assert.ok(sent < request.length, `cut after ${sent} of ${request.length} bytes`);
    assert.ok(elapsed >= timeoutMs - 50 && elapsed < 3000, `cut after ${elapsed} ms`);
    // Node answers 408 before closing when it can.
    assert.ok(answer === '' || /^HTTP\/1\.1 408 /.test(answer), JSON.stringify(answer));
    // The server still serves others.
    assert.equal((await ctx.call('GET', '/healthz')).status, 200);
  });
});
