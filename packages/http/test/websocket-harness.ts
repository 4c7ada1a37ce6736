import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProducedRecord, SourceFixture, SourceHarness } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import { webSocketSource } from '../src/index.ts';

const serverScript = fileURLToPath(new URL('./ws-log-server.ts', import.meta.url));

/** The position the log server stamps first in every entry: `{"n":<position>,...`. */
export function logPosition(value: Uint8Array): string {
  let end = 5;
  while (end < value.length && value[end] !== 0x2c) end++;
  return Buffer.from(value.buffer, value.byteOffset + 5, end - 5).toString('latin1');
}

/** ws-log-server.ts as a child process on a fixed port with its backlog in a temp dir. */
export class LogServerProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<LogServerProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-wslog-'));
    const server = new LogServerProcess(await freePort(), dir);
    await server.launch();
    return server;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  tailUrl(position: string | undefined): string {
    return `ws://127.0.0.1:${this.port}/tail${position === undefined ? '' : `?from=${position}`}`;
  }

  private async launch(): Promise<void> {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', serverScript, String(this.port), join(this.dir, 'log')],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${this.base}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the log server on ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Appends values (JSON objects) to the backlog; resolves once stored. */
  async append(values: readonly string[]): Promise<void> {
    const response = await fetch(`${this.base}/append`, { method: 'POST', body: `${values.join('\n')}\n` });
    if (!response.ok) throw new Error(`append failed: ${response.status}`);
    await response.text();
  }

  private async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGKILL, then start again on the same port and backlog file. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The WebSocket source, resuming (`?from=<position>`, positions stamped by the server), against a log
 * server child process; produce() is the server's own append to its backlog.
 */
export const webSocketSourceHarness: SourceHarness = {
  features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
  partitioned: false,
  restartable: true,
  // The log server stamps its position into every entry (`{"n":...,`): values are JSON it rewrites.
  rawValues: false,
  async create(): Promise<SourceFixture> {
    const server = await LogServerProcess.start();
    return {
      source: webSocketSource({
        url: (position) => server.tailUrl(position),
        positionOf: logPosition,
        reconnect: { minMs: 50, maxMs: 500 },
      }),
      async produce(records: readonly ProducedRecord[]) {
        for (let i = 0; i < records.length; i += 2048)
          await server.append(records.slice(i, i + 2048).map((r) => r.value));
      },
      restartServer: () => server.restart(),
      close: () => server.stop(),
    };
  },
};
