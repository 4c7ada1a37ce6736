import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The package root (fixtures run with it as working directory so `--import tsx` resolves). */
export const packageRoot = join(import.meta.dirname, '..', '..');

/** A fixture script's path. */
export function fixturePath(name: string): string {
  return join(import.meta.dirname, 'fixtures', name);
}

/** Every message a fixture sends carries a string `type`. */
export interface FixtureMessage {
  type: string;
}

export interface FixtureExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnFixtureOptions {
  /** Extra environment variables (added to this process's environment). */
  env?: Record<string, string>;
  /** Own process group, so `killGroup()` also reaches grandchildren (e.g. node under unshare + sh). */
  detached?: boolean;
}

/**
 * A child process with an IPC channel whose messages are queued until asked for. `closed` resolves once
 * the process has exited and its stdio and IPC channel are closed, so every message it managed to send
 * is in `received` by then. stdout and stderr are kept for failure reports.
 */
export class FixtureProcess<M extends FixtureMessage> {
  readonly child: ChildProcess;
  readonly closed: Promise<FixtureExit>;
  readonly received: M[] = [];
  #stderr = '';
  #stdout = '';
  #cursor = 0;
  #wake: (() => void) | undefined;
  #exit: FixtureExit | undefined;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.#stdout += chunk;
    });
    child.on('message', (message) => {
      const m = message as M;
      this.received.push(m);
      this.#wake?.();
    });
    this.closed = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#wake?.();
        resolve(this.#exit);
      });
    });
  }

  /** Runs `node --import tsx <fixture> ...args` from the package root. */
  static node<M extends FixtureMessage>(
    fixture: string,
    args: readonly string[] = [],
    options: SpawnFixtureOptions = {},
  ): FixtureProcess<M> {
    return FixtureProcess.command(process.execPath, ['--import', 'tsx', fixture, ...args], options);
  }

  /** Runs any command; it (or a node process it starts) talks over the inherited IPC channel. */
  static command<M extends FixtureMessage>(
    command: string,
    args: readonly string[],
    options: SpawnFixtureOptions = {},
  ): FixtureProcess<M> {
    const child = spawn(command, args, {
      cwd: packageRoot,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
      detached: options.detached ?? false,
    });
    return new FixtureProcess<M>(child);
  }

  get stderr(): string {
    return this.#stderr;
  }

  get stdout(): string {
    return this.#stdout;
  }

  /**
   * The next message not yet taken by `next`, optionally the next of a given type (skipping others).
   * Rejects if the process closes first, with its exit status and stderr. One pending call at a time.
   */
  async next<T extends M['type']>(type?: T): Promise<Extract<M, { type: T }>> {
    for (;;) {
      while (this.#cursor < this.received.length) {
        const message = this.received[this.#cursor++]!;
        if (type === undefined || message.type === type) return message as Extract<M, { type: T }>;
      }
      if (this.#exit !== undefined) {
        throw new Error(
          `fixture closed (code ${this.#exit.code}, signal ${this.#exit.signal}) before sending ${type ?? 'a message'}\n${this.describe()}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  send(message: FixtureMessage): void {
    this.child.send(message);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit === undefined) this.child.kill(signal);
  }

  /** Kills the whole process group of a `detached` fixture (cleanup after a failed test). */
  killGroup(): void {
    if (this.#exit !== undefined || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  }

  /** Exit status and captured output, for assertion messages. */
  describe(): string {
    const tail = (text: string): string => (text.length > 4000 ? `...${text.slice(-4000)}` : text);
    return `exit: ${JSON.stringify(this.#exit ?? 'running')}\nstderr: ${tail(this.#stderr)}\nstdout: ${tail(this.#stdout)}`;
  }
}
