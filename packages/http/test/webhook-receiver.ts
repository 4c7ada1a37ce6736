import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly idempotencyKey: string | undefined;
  readonly contentType: string | undefined;
  readonly status: number;
  readonly body: string;
}

/**
 * A real webhook receiver on node:http for tests. It answers 503 to the next `fail503` requests, 429
 * with `Retry-After: retryAfter` to the next `fail429`, 400 to a body that is not JSON (a JSON value, a
 * JSON array's items for application/json arrays, JSON lines for application/x-ndjson), and drops a request whose
 * Idempotency-Key it already stored (answering 200), so it stores each key once. Its state survives
 * `restart()` (a receiver with a durable store): closing drops every connection, then listens again on
 * the same port.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Every value stored, in arrival order. */
  readonly values: unknown[] = [];
  private readonly keys = new Set<string>();
  fail503 = 0;
  fail429 = 0;
  retryAfter = '1';
  private server: Server;

  private constructor(private portNumber: number) {
    this.server = this.createServer();
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}/hook`;
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(0);
    await receiver.listen();
    return receiver;
  }

  private createServer(): Server {
    return createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.answer(request, response, Buffer.concat(chunks).toString('utf8')));
    });
  }

  private answer(request: IncomingMessage, response: ServerResponse, body: string): void {
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const contentType = request.headers['content-type'];
    const reply = (status: number, headers: Record<string, string> = {}) => {
      this.requests.push({ idempotencyKey, contentType, status, body });
      response.writeHead(status, headers).end(status === 200 ? 'ok' : `status ${status}`);
    };
    if (this.fail503 > 0) {
      this.fail503--;
      reply(503);
      return;
    }
    if (this.fail429 > 0) {
      this.fail429--;
      reply(429, { 'retry-after': this.retryAfter });
      return;
    }
    let values: unknown[];
    try {
      if (contentType === 'application/x-ndjson')
        values = body
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line));
      else {
        const parsed: unknown = JSON.parse(body);
        values = contentType === 'application/json' && Array.isArray(parsed) ? parsed : [parsed];
      }
    } catch {
      reply(400);
      return;
    }
    if (idempotencyKey !== undefined && this.keys.has(idempotencyKey)) {
      reply(200);
      return;
    }
    if (idempotencyKey !== undefined) this.keys.add(idempotencyKey);
    this.values.push(...values);
    reply(200);
  }

  /** Forgets every request, value and idempotency key (a fresh receiver on the same port). */
  clear(): void {
    this.requests.length = 0;
    this.values.length = 0;
    this.keys.clear();
    this.fail503 = 0;
    this.fail429 = 0;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.portNumber, '127.0.0.1', () => {
        this.portNumber = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Closes the server and every open connection, then listens again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    this.server = this.createServer();
    await this.listen();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
