import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { ADMIN, READER, withServer } from './server-harness.ts';

/**
 * The dashboard under a read token: its static files are public (they hold no data), and WebSocket
 * routes take the token as the subprotocol `rivulet.bearer.<token>` besides the Authorization header,
 * answering with the subprotocol `rivulet.bearer` (never the token). A wrong token, none, or a token in
 * the query string is refused with 401 before the upgrade.
 */

type Outcome = { opened: true; protocol: string; firstMessage: string } | { opened: false; status: number };

/** Connects and reports the handshake: the chosen subprotocol and first message, or the refusal status. */
function connect(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer from ${url}`));
    }, 10_000);
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      socket.terminate();
      resolve({ opened: false, status: response.statusCode ?? 0 });
    });
    socket.on('message', (data) => {
      clearTimeout(timer);
      const protocol = socket.protocol;
      socket.close();
      resolve({ opened: true, protocol, firstMessage: String(data) });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

test('with a read token: dashboard files are public; WebSockets take the token as a subprotocol', async () => {
  const dashboardDir = mkdtempSync(join(tmpdir(), 'rivulet-dashboard-'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>dash</title>');
  mkdirSync(join(dashboardDir, 'assets'));
  writeFileSync(join(dashboardDir, 'assets', 'app-1234.js'), 'console.log(1)');
  try {
    await withServer({ readToken: READER, dashboardDir }, async (ctx) => {
      // The page and its assets load without a token; the API does not.
      for (const path of ['/', '/index.html', '/assets/app-1234.js']) {
        const r = await ctx.call('GET', path);
        assert.equal(r.status, 200, path);
      }
      assert.equal((await ctx.call('GET', '/assets/missing.js')).status, 404);
      assert.equal((await ctx.call('GET', '/api/topics')).status, 401);
      assert.equal((await ctx.call('GET', '/api/pipelines')).status, 401);
      assert.equal((await ctx.call('GET', '/api/topics', { token: READER })).status, 200);

      await ctx.engine.log.createTopic('t');
      await ctx.engine.log.append('t', 0, [
        { key: null, value: Buffer.from('"hello"'), headers: undefined, timestamp: 1 },
      ]);
      const ws = ctx.server.address.replace(/^http/, 'ws');
      const origin = { origin: ctx.server.address };
      for (const path of ['/api/live', '/api/topics/t/tail?from=earliest']) {
        const url = `${ws}${path}`;
        for (const token of [READER, ADMIN]) {
          const ok = await connect(url, ['rivulet.bearer', `rivulet.bearer.${token}`], origin);
          assert.ok(ok.opened, `${path} with the subprotocol token`);
          assert.equal(ok.protocol, 'rivulet.bearer', 'the server echoes rivulet.bearer, not the token');
          assert.match(ok.firstMessage, path === '/api/live' ? /"type":"snapshot"/ : /"type":"record"/);
          // Offered token first, the answer is still rivulet.bearer (ws's default would echo the first).
          const reversed = await connect(url, [`rivulet.bearer.${token}`, 'rivulet.bearer'], origin);
          assert.ok(reversed.opened && reversed.protocol === 'rivulet.bearer', JSON.stringify(reversed));
        }
        // The Authorization header still works (non-browser clients).
        const header = await connect(url, [], { authorization: `Bearer ${READER}` });
        assert.ok(header.opened, `${path} with Authorization`);
        assert.equal(header.protocol, '');

        for (const protocols of [
          ['rivulet.bearer', 'rivulet.bearer.wrong-token'],
          ['rivulet.bearer', `rivulet.bearer.${READER}x`],
          ['rivulet.bearer'],
          [],
          [`rivulet.bearer${READER}`],
        ]) {
          const refused = await connect(url, protocols, origin);
          assert.deepEqual(refused, { opened: false, status: 401 }, `${path} with ${protocols.join(', ')}`);
        }
        // A token in the query string is never read.
        const sep = path.includes('?') ? '&' : '?';
        for (const query of [
          `token=${READER}`,
          `access_token=${READER}`,
          `authorization=Bearer%20${READER}`,
        ]) {
          const refused = await connect(`${url}${sep}${query}`, [], origin);
          assert.deepEqual(refused, { opened: false, status: 401 }, `${path} with ?${query}`);
        }
      }
      for (const query of [`token=${READER}`, `access_token=${READER}`])
        assert.equal((await ctx.call('GET', `/api/topics?${query}`)).status, 401);
      // The subprotocol is a WebSocket thing: a plain GET with the header is still refused.
      const plain = await ctx.call('GET', '/api/topics', {
        headers: { 'sec-websocket-protocol': `rivulet.bearer, rivulet.bearer.${READER}` },
      });
      assert.equal(plain.status, 401);
    });
  } finally {
    rmSync(dashboardDir, { recursive: true, force: true });
  }
});
