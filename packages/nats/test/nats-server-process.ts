import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from 'rivulet/testing';

/** The shared local NATS+JetStream server. */
export const SHARED_SERVER = 'nats://127.0.0.1:4222';

/**
 * A private `nats-server -js` on a free port with its store in a temp dir, for the cases that kill
 * and restart the server. `restart()` SIGKILLs it and starts it again on the same port and dir.
 */
export class PrivateNatsServer {
  readonly url: string;
  private child: ChildProcess | undefined;

  private constructor(
    private readonly port: number,
    private readonly dir: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  static async start(): Promise<PrivateNatsServer> {
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-nats-'));
    const server = new PrivateNatsServer(await freePort(), dir);
    await server.launch();
    return server;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** SIGKILLs the server and waits until it is gone (so its port and store are free again). */
  private async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-js',
        '-sd',
        join(this.dir, 'store'),
        '-l',
        join(this.dir, 'server.log'),
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + 20_000;
    let last: unknown;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(
          `nats-server exited with ${child.exitCode}: ${await readFile(join(this.dir, 'server.log'), 'utf8').catch(() => '')}`,
        );
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000 });
        try {
          await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (error) {
        last = error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await this.kill();
    throw new Error(`nats-server on port ${this.port} did not become ready: ${String(last)}`);
  }
}
