import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, type TempDir } from '../temp-dir.ts';

/** A private nats-server with JetStream file storage in its own temp dir. */
export interface NatsServerProcess {
  url: string;
  pid: number;
  /** Kills the server by its PID (SIGTERM, SIGKILL after 5 s) and deletes its store. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p -1 -js -sd <tmp> --ports_file_dir <tmp>` (random port, no config
 * file) and waits up to 10 s for the ports file that names the port. The server is also killed if this
 * process exits without calling stop().
 */
export async function startNatsServer(): Promise<NatsServerProcess> {
  const dir: TempDir = makeTempDir('nats');
  const child: ChildProcess = spawn(
    'nats-server',
    ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', dir.path, '--ports_file_dir', dir.path],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const onExit = (): void => {
    if (running && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (running && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!killed && running) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    }
    dir.remove();
  };
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('nats-server did not start (is it installed?)');
    const portsFile = join(dir.path, `nats-server_${pid}.ports`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!running) throw new Error(`nats-server exited early: ${stderr.trim()}`);
      if (existsSync(portsFile)) {
        const text = readFileSync(portsFile, 'utf8');
        if (text.trim() !== '') {
          const ports = JSON.parse(text) as { nats?: string[] };
          const url = ports.nats?.[0];
          if (url === undefined) throw new Error(`no client URL in ${portsFile}: ${text}`);
          return { url, pid, stop };
        }
      }
      if (Date.now() > deadline) throw new Error(`nats-server wrote no ports file in 10 s: ${stderr.trim()}`);
      await sleep(20);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
