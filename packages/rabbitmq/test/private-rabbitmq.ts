import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { freePort } from 'rivulet/testing';

/** The rabbitmq-server script itself (/usr/sbin/rabbitmq-server would switch to the rabbitmq user). */
const SERVER_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const BOOT_DEADLINE_MS = 60_000;

/**
 * A private RabbitMQ node for one test: its own node name, ports, data, logs, cookie ($HOME) and an empty
 * plugin list in a temp dir. `restart` kills the Erlang VM's whole process group with SIGKILL and boots
 * it again on the same ports and data; `stop` kills it and deletes the dir.
 */
export interface PrivateRabbit {
  readonly url: string;
  readonly port: number;
  restart(): Promise<void>;
  /**
   * Stops the node cleanly and boots it again. RabbitMQ 3.10 keeps the stream coordinator's registration
   * in a DETS file it writes only on a clean stop (or every 3 minutes): a stream node SIGKILLed sooner
   * after its first stream was declared comes back with every stream `down`. Stream fixtures therefore
   * restart gracefully once after declaring, before the test's SIGKILL.
   */
  restartGracefully(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const node = `rivulet-${Math.random().toString(36).slice(2, 10)}@localhost`;
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'rabbitmq.conf'), 'log.console = false\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const boot = async (): Promise<void> => {
    const out = openSync(join(dir, 'server.out'), 'a');
    const started = spawn(SERVER_SCRIPT, [], { env, detached: true, stdio: ['ignore', out, out] });
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const deadline = Date.now() + BOOT_DEADLINE_MS;
    for (;;) {
      if (gone) throw new Error(`the private RabbitMQ exited while booting; see ${join(dir, 'server.out')}`);
      try {
        const connection = await connect(url, { timeout: 2_000 });
        connection.on('error', () => undefined);
        const channel = await connection.createChannel();
        await channel.close();
        await connection.close();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`the private RabbitMQ did not boot in time: ${String(error)}`);
        await sleep(200);
      }
    }
  };

  const kill = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> => {
    const pid = child?.pid;
    if (pid === undefined || child?.exitCode !== null || child?.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
    if (signal === 'SIGTERM') {
      // The VM stops gracefully on SIGTERM; kill it if it takes too long.
      const timer = setTimeout(() => void kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    } else await exited;
    child = undefined;
  };

  try {
    await boot();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    async restart() {
      await kill('SIGKILL');
      await boot();
    },
    async restartGracefully() {
      await kill('SIGTERM');
      await boot();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
