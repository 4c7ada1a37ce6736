/**
 * A WebSocket log server for tests, run as its own process (`node --import tsx ws-log-server.ts <port>
 * <data file>`) so the test can SIGKILL it and so its memory is not the reader's. It keeps a backlog of
 * numbered entries in a file (reloaded on start): `POST /append` takes JSON lines, stamps each with `"n"`
 * (1, 2, ...) as its first field, appends them to the file, then answers. `GET /tail?from=N` upgrades
 * to a WebSocket that sends every entry after N (from 0 by default), then new ones as they come, one
 * message each, holding back while the client does not read (bufferedAmount over 1 MiB).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const file = process.argv[3]!;
const backlog: string[] = existsSync(file)
  ? readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
  : [];
const tails = new Set<{ socket: WebSocket; next: number; timer: NodeJS.Timeout | undefined }>();
const HIGH_WATER = 1024 * 1024;

function pump(tail: { socket: WebSocket; next: number; timer: NodeJS.Timeout | undefined }): void {
  if (tail.timer !== undefined) return;
  while (tail.next < backlog.length && tail.socket.readyState === tail.socket.OPEN) {
    if (tail.socket.bufferedAmount > HIGH_WATER) {
      tail.timer = setTimeout(() => {
        tail.timer = undefined;
        pump(tail);
      }, 20);
      return;
    }
    tail.socket.send(backlog[tail.next++]!);
  }
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.end('ok');
    return;
  }
  if (request.method !== 'POST' || request.url !== '/append') {
    response.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const entries = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line, i) => `{"n":${backlog.length + i + 1},${line.slice(1)}`);
    appendFileSync(file, `${entries.join('\n')}\n`);
    backlog.push(...entries);
    for (const tail of tails) pump(tail);
    response.end(String(backlog.length));
  });
});

const sockets = new WebSocketServer({ server, path: '/tail' });
sockets.on('connection', (socket, request) => {
  const from = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('from') ?? 0);
  const tail = { socket, next: Number.isSafeInteger(from) && from > 0 ? from : 0, timer: undefined };
  tails.add(tail);
  socket.on('close', () => {
    clearTimeout(tail.timer);
    tails.delete(tail);
  });
  socket.on('error', () => undefined);
  pump(tail);
});

server.listen(port, '127.0.0.1');
