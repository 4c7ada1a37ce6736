/**
 * DNS rebinding: a page of another site whose name resolves to 127.0.0.1 sends that name as Host and as
 * Origin. A loopback server answers it 403 on every route, WebSockets included; loopback names and
 * `allowedHosts` are answered as before.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import WebSocket from 'ws';
import { withServer } from './server-harness.ts';

function get(address: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, address);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname, headers: { host } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** The HTTP status a WebSocket upgrade gets (101 when accepted). */
function upgrade(address: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${address.replace('http', 'ws')}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', (error) => reject(error));
  });
}

test('a loopback server refuses foreign Host headers (403) and answers loopback names', async () => {
  await withServer({ allowedHosts: ['rivulet.internal'] }, async ({ server }) => {
    const port = new URL(server.address).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `rivulet.internal:${port}`]) {
      const answer = await get(server.address, '/api/topics', host);
      assert.equal(answer.status, 200, host);
    }
    for (const host of [`evil.example:${port}`, `localhost.evil.example:${port}`]) {
      const answer = await get(server.address, '/api/topics', host);
      assert.equal(answer.status, 403, host);
      assert.equal(JSON.parse(answer.body).code, 'FORBIDDEN');
      assert.equal((await get(server.address, '/healthz', host)).status, 403, `${host} /healthz`);
    }
    // The rebinding page's WebSocket: Origin and Host agree, so only the Host check stops it.
    const evil = `evil.example:${port}`;
    assert.equal(await upgrade(server.address, '/api/live', { host: evil, origin: `http://${evil}` }), 403);
    const own = `localhost:${port}`;
    assert.equal(await upgrade(server.address, '/api/live', { host: own, origin: `http://${own}` }), 101);
  });
});
