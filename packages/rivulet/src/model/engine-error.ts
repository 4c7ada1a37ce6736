import { type ErrorCode, type ErrorDomain, errorCodes } from './error-codes.ts';

export interface EngineErrorOptions {
  cause?: unknown;
  /** Structured context (topic, partition, offset range...) for logs, metrics and the DLQ. */
  details?: Readonly<Record<string, unknown>>;
  /** Overrides the catalogue's default for this occurrence (e.g. a disk error known to be permanent). */
  retryable?: boolean;
}

/**
 * Every error Rivulet raises on purpose. `code` is stable and machine-readable; `message` is for people
 * and may change. Callers branch on `code`, never on `message`.
 */
export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly domain: ErrorDomain;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.domain = errorCodes[code].domain;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      domain: this.domain,
      retryable: this.retryable,
      ...this.details,
    };
  }
}

export function isEngineError(error: unknown, code?: ErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
