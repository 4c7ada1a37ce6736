import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from 'rivulet/testing';

/** Resolves once a TCP connection to `port` succeeds; rejects after `ms`. */
export async function waitForPort(port: number, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A private Mosquitto with persistence in a temp dir, for cases that kill the broker. `autosave_interval 1`
 * with `autosave_on_changes` writes the database after every change (sessions, subscriptions, queued
 * records): Mosquitto has no per-message fsync, so this is as durable as it gets against SIGKILL.
 */
export class PrivateMosquitto {
  private process: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly conf: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** `durable: false` saves the database only at shutdown (for benchmarks: no write per change). */
  static async start(options: { durable?: boolean } = {}): Promise<PrivateMosquitto> {
    const durable = options.durable ?? true;
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-mosquitto-'));
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        ...(durable ? ['autosave_interval 1', 'autosave_on_changes true'] : ['autosave_interval 0']),
        'max_queued_messages 0',
        'log_dest none',
        // Started as root, Mosquitto drops to the user `mosquitto`, who could not write the temp dir.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        '',
      ].join('\n'),
    );
    const broker = new PrivateMosquitto(dir, port, conf);
    await broker.launch();
    return broker;
  }

  private async launch(): Promise<void> {
    this.process = spawn('mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  /** SIGKILL, then start again on the same port and data directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  private async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
