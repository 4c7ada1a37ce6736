/**
 * How the CLI reports a failed command. An EngineError prints `error CODE: message` and, where it helps,
 * a `hint:` line, never a stack trace; exit code 1. A system error with an errno code (EACCES...) prints
 * the same way. Anything else is a bug in Rivulet: it prints `error INTERNAL` with the stack.
 */
import { isEngineError } from '../model/index.ts';

/** Exit codes of every command. */
export const exitCodes = {
  ok: 0,
  /** The command ran and failed: an engine error, bad input lines, a corrupt log found by verify. */
  failure: 1,
  /** The command line itself is wrong: unknown command or option, malformed option value. */
  usage: 2,
} as const;

function stringDetail(details: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = details[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** A one-line suggestion for the codes where the next step is clear, else undefined. */
export function hintFor(code: string, details: Readonly<Record<string, unknown>>): string | undefined {
  const topic = stringDetail(details, 'topic') ?? 'NAME';
  // An error that knows the way out says so itself.
  const own = stringDetail(details, 'hint');
  if (own !== undefined) return own;
  switch (code) {
    case 'UNKNOWN_TOPIC':
      return `create it with: rivulet topics create ${topic}`;
    case 'TOPIC_EXISTS':
      return `see it with: rivulet topics describe ${topic}`;
    case 'UNKNOWN_PARTITION':
    case 'OFFSET_OUT_OF_RANGE':
      return `see its partitions and offsets with: rivulet topics describe ${topic}`;
    case 'LOG_LOCKED': {
      const pid = stringDetail(details, 'pid');
      return `another process${pid === undefined ? '' : ` (pid ${pid})`} has the data directory open; stop it, or wait longer with --lock-wait`;
    }
    case 'LOG_SEGMENT_CORRUPT':
    case 'LOG_METADATA_CORRUPT':
    case 'PARTITION_FAILED':
    case 'CORRUPT_BATCH':
      return 'list every damaged range with: rivulet log verify';
    case 'RECORD_TOO_LARGE':
      return "the limit is the topic's maxRecordBytes (see: rivulet topics describe)";
    default:
      return undefined;
  }
}

/** Writes the report for `error` to `write` (stderr) and returns the exit code. */
export function reportError(error: unknown, write: (text: string) => void): number {
  if (isEngineError(error)) {
    write(`error ${error.code}: ${error.message}\n`);
    const hint = hintFor(error.code, error.details);
    if (hint !== undefined) write(`hint: ${hint}\n`);
    return exitCodes.failure;
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
      write(`error ${code}: ${error.message}\n`);
      return exitCodes.failure;
    }
    write(`error INTERNAL: ${error.stack ?? error.message}\n`);
    return exitCodes.failure;
  }
  write(`error INTERNAL: ${String(error)}\n`);
  return exitCodes.failure;
}
