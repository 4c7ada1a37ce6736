/**
 * Runs the CLI as a child process (`node --import tsx src/cli/main.ts ...`, cwd packages/rivulet) against
 * temp data directories, for the CLI tests. Not a test file itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const packageRoot = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed; stdin is empty when absent. */
  input?: string;
  env?: Record<string, string>;
}

/** Starts the CLI with `args`; the caller owns the child (see `collect`). */
export function startCli(args: readonly string[], options: RunOptions = {}): ChildProcess {
  // The tests pass --data-dir explicitly; a RIVULET_DATA_DIR from the outer shell must not leak in.
  const { RIVULET_DATA_DIR: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, FORCE_COLOR: '0', ...options.env };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: packageRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => undefined); // the CLI may exit without reading its input
  child.stdin!.end(options.input ?? '');
  return child;
}

/** Waits for the child to exit and returns its exit status and output. */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return collect(startCli(args, options));
}

/** A fresh empty temp directory; `remove()` deletes it. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `rivulet-cli-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The JSON objects of a JSON-lines text (blank lines ignored). */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** A deterministic pseudo-random source in [0, 1) (a 32-bit linear congruential generator). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** How a case file hands its cases to node:test's `it`. */
export type CaseRegistrar = (name: string, run: () => Promise<void>) => void;
