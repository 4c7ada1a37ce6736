import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from 'rivulet/testing';

/** The newest installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return join(root, majors[0] ?? '15', 'bin');
})();

/**
 * A private PostgreSQL 15 cluster (wal_level=logical) in a temp dir on a free port, for tests that need
 * logical replication or kill the server. initdb refuses to run as root, so the cluster runs as the
 * `postgres` OS user (spawned with its uid/gid, so the recorded PID is the postmaster itself). The
 * postmaster leads its own process group: `kill()` SIGKILLs the whole group (postmaster and backends at
 * once, like a machine crash); `restart()` starts it again on the same port and data directory.
 * Always `stop()` it in `after()`/`finally`.
 */
export interface PrivatePostgres {
  readonly port: number;
  readonly connectionString: string;
  readonly dir: string;
  kill(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function osUser(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}

async function waitReady(connectionString: string, process: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`postgres exited with ${process.exitCode}`);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`private postgres not ready after ${deadlineMs} ms: ${String(lastError)}`);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const user = osUser('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-pg-'));
  chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8'], {
    uid: user.uid,
    gid: user.gid,
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(
      join(BIN, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'wal_level=logical',
        '-c',
        'max_replication_slots=10',
        '-c',
        'max_wal_senders=10',
        '-c',
        'fsync=on',
        '-c',
        'shared_buffers=16MB',
      ],
      { uid: user.uid, gid: user.gid, detached: true, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    child = proc;
    await waitReady(connectionString, proc, 30_000);
  };

  const kill = (): void => {
    const proc = child;
    if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  const exited = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise((resolve) => proc.once('exit', resolve));
  };

  await start();
  return {
    port,
    connectionString,
    dir,
    kill,
    async restart() {
      kill();
      await exited();
      await start();
    },
    async stop() {
      kill();
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
