import { EngineError, isEngineError } from '../model/index.ts';

/** Maps a Node fs error to an EngineError with a stable code; EngineErrors pass through unchanged. */
export function ioError(error: unknown, action: string, details: Record<string, unknown> = {}): EngineError {
  if (isEngineError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') {
    return new EngineError('LOG_DISK_FULL', `${action} failed: no space left (${code})`, {
      cause: error,
      details: { ...details, errno: code },
    });
  }
  return new EngineError('LOG_IO_ERROR', `${action} failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    details: { ...details, errno: code },
  });
}
