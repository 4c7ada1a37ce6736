import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from 'rivulet/testing';

/** The shared local Redis (keeps nothing on disk): for cases that never restart the server. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A private redis-server on a free port with its own temp dir and an fsync-always append-only file, so
 * a SIGKILL loses nothing acknowledged. `restart()` kills it and starts it again on the same port and
 * dir; `stop()` kills it and removes the dir. Always stop it in `after()`/`finally`.
 */
export class PrivateRedis {
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly extraArgs: readonly string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: readonly string[] = []): Promise<PrivateRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-redis-'));
    const server = new PrivateRedis(await freePort(), dir, extraArgs);
    try {
      await server.#spawn();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  async restart(): Promise<void> {
    await this.#kill();
    await this.#spawn();
  }

  /** Kills the server (SIGKILL) and leaves it down until `resume()`. */
  async kill(): Promise<void> {
    await this.#kill();
  }

  /** Starts a killed server again on the same port and dir. */
  async resume(): Promise<void> {
    await this.#spawn();
  }

  async stop(): Promise<void> {
    await this.#kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    this.#process = child;
    const deadline = Date.now() + 15_000;
    while (!(await answersPing(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** True once the server answers PING with PONG (not while it is loading its append-only file). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
