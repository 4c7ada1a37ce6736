/**
 * Opening the embedded log from a command. Every command takes `--data-dir` (default ./rivulet-data, or
 * $RIVULET_DATA_DIR) and `--lock-wait` (how long to wait while another process holds the data directory;
 * default 5s). Only one process may have a data directory open, so a command that finds it locked retries
 * until the wait is over and then fails with LOG_LOCKED.
 */
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { createLog, type Log } from '../log/index.ts';
import { EngineError, isEngineError, sleep } from '../model/index.ts';
import { parseDurationMs } from './option-parsers.ts';

export const DEFAULT_DATA_DIR = './rivulet-data';
const LOCK_RETRY_MS = 50;

/** The options `addLogOptions` adds, as commander hands them to an action. */
export interface LogCommandOptions {
  dataDir: string;
  lockWait: number;
}

/** --data-dir <dir>: default ./rivulet-data, or $RIVULET_DATA_DIR when set. */
export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'data directory of the log')
    .default(DEFAULT_DATA_DIR)
    .env('RIVULET_DATA_DIR');
}

/** Adds --data-dir and --lock-wait to a command. */
export function addLogOptions(command: Command): Command {
  return command
    .addOption(dataDirOption())
    .addOption(
      new Option('--lock-wait <duration>', 'how long to wait for a data directory another process holds')
        .argParser(parseDurationMs)
        .default(5000, '5s'),
    );
}

export interface OpenLogOptions {
  dataDir: string;
  /** Milliseconds to keep retrying while the directory is locked; Infinity waits until `signal` aborts. */
  lockWaitMs: number;
  signal?: AbortSignal;
}

/**
 * Opens the log with background maintenance off (a command is short-lived). Retries LOG_LOCKED every
 * 50 ms until `lockWaitMs` has passed; rethrows the last LOG_LOCKED then, or any other error at once.
 * Returns undefined only when `signal` aborted while waiting.
 */
export async function openLogUnlessAborted(options: OpenLogOptions): Promise<Log | undefined> {
  const deadline = Date.now() + options.lockWaitMs;
  for (;;) {
    if (options.signal?.aborted === true) return undefined;
    try {
      return await createLog({ dataDir: options.dataDir, maintenanceInterval: false });
    } catch (error) {
      if (!isEngineError(error, 'LOG_LOCKED') || Date.now() >= deadline) throw error;
    }
    await sleep(Math.min(LOCK_RETRY_MS, Math.max(1, deadline - Date.now())), options.signal);
  }
}

/** Opens the log (see openLogUnlessAborted), creating the data directory if needed. */
export async function openLog(options: OpenLogOptions): Promise<Log> {
  const log = await openLogUnlessAborted(options);
  if (log === undefined) throw new EngineError('INTERNAL', 'opening the log was aborted');
  return log;
}

/**
 * For commands that need the data directory to exist already, so a read never creates an empty one as a
 * side effect: when `dataDir` is missing, the topic the command names cannot exist (UNKNOWN_TOPIC).
 */
export function assertTopicDataDir(dataDir: string, topic: string): void {
  if (!existsSync(dataDir)) {
    throw new EngineError(
      'UNKNOWN_TOPIC',
      `topic '${topic}' does not exist (there is no data directory at ${dataDir})`,
      { details: { topic, dataDir } },
    );
  }
}

/** Opens the log of an existing data directory (see assertTopicDataDir and openLog). */
export async function openExistingLog(options: OpenLogOptions, topic: string): Promise<Log> {
  assertTopicDataDir(options.dataDir, topic);
  return openLog(options);
}

/** Runs `body` with the log open and closes it afterwards, whatever happens. */
export async function withLog<T>(log: Log, body: (log: Log) => Promise<T> | T): Promise<T> {
  try {
    return await body(log);
  } finally {
    await log.close();
  }
}
