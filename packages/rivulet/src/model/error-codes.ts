/**
 * The catalogue of stable error codes. A code never changes meaning once released; new failure kinds get
 * new codes. `domain` says whose fault it is (user input, an external system such as the disk, or a bug
 * in Rivulet); `retryable` says whether the same call may succeed later without changes.
 */
export const errorCodes = {
  // user input
  INVALID_ARGUMENT: { domain: 'user', retryable: false },
  INVALID_DURATION: { domain: 'user', retryable: false },
  INVALID_TOPIC_NAME: { domain: 'user', retryable: false },
  TOPIC_EXISTS: { domain: 'user', retryable: false },
  UNKNOWN_TOPIC: { domain: 'user', retryable: false },
  UNKNOWN_PARTITION: { domain: 'user', retryable: false },
  OFFSET_OUT_OF_RANGE: { domain: 'user', retryable: false },
  RECORD_TOO_LARGE: { domain: 'user', retryable: false },
  INVALID_RECORD: { domain: 'user', retryable: false },
  INVALID_JSON: { domain: 'user', retryable: false },
  UNSUPPORTED_COMPRESSION: { domain: 'user', retryable: false },
  INVALID_PLAN: { domain: 'user', retryable: false },
  PROCESSING_FAILED: { domain: 'user', retryable: false },
  UNSUPPORTED_OPERATOR: { domain: 'user', retryable: false },
  COPARTITION_MISMATCH: { domain: 'user', retryable: false },
  CHECKPOINT_CORRUPT: { domain: 'external', retryable: false },
  PIPELINE_FAILED: { domain: 'user', retryable: false },
  /** An optional package a feature needs is not installed (details.package). */
  MISSING_DEPENDENCY: { domain: 'user', retryable: false },
  // idempotent producers and consumer groups
  OUT_OF_ORDER_SEQUENCE: { domain: 'user', retryable: false },
  PRODUCER_FENCED: { domain: 'user', retryable: false },
  ILLEGAL_GENERATION: { domain: 'user', retryable: true },
  UNKNOWN_MEMBER: { domain: 'user', retryable: false },
  // the log on disk
  LOG_LOCKED: { domain: 'external', retryable: true },
  LOG_CLOSED: { domain: 'user', retryable: false },
  LOG_DISK_FULL: { domain: 'external', retryable: true },
  LOG_IO_ERROR: { domain: 'external', retryable: false },
  LOG_FSYNC_FAILED: { domain: 'external', retryable: false },
  LOG_SEGMENT_CORRUPT: { domain: 'external', retryable: false },
  LOG_METADATA_CORRUPT: { domain: 'external', retryable: false },
  PARTITION_FAILED: { domain: 'external', retryable: false },
  CORRUPT_BATCH: { domain: 'external', retryable: false },
  // state stores
  STATE_STORE_CLOSED: { domain: 'user', retryable: false },
  UNKNOWN_STORE: { domain: 'user', retryable: false },
  STATE_KEY_TOO_LARGE: { domain: 'user', retryable: false },
  STATE_BACKEND_FAILED: { domain: 'external', retryable: false },
  STATE_RESTORE_FAILED: { domain: 'external', retryable: false },
  STATE_CHANGELOG_DIVERGED: { domain: 'internal', retryable: false },
  // the HTTP server (src/server): answered as JSON { code, message }
  UNAUTHORIZED: { domain: 'user', retryable: false },
  FORBIDDEN: { domain: 'user', retryable: false },
  NOT_FOUND: { domain: 'user', retryable: false },
  UNKNOWN_PIPELINE: { domain: 'user', retryable: false },
  /** A pipeline asked to start is running already. */
  PIPELINE_RUNNING: { domain: 'user', retryable: false },
  PAYLOAD_TOO_LARGE: { domain: 'user', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { domain: 'user', retryable: false },
  RATE_LIMITED: { domain: 'user', retryable: true },
  IDEMPOTENCY_KEY_REUSED: { domain: 'user', retryable: false },
  /** The log is closed or failed an append (disk full, I/O or fsync error). */
  LOG_UNAVAILABLE: { domain: 'external', retryable: true },
  // connectors (src/connector): external systems read and written by pipelines
  /** The external server cannot be reached (refused, timed out, closed); reopening later may succeed. */
  CONNECTOR_UNAVAILABLE: { domain: 'external', retryable: true },
  /** The external server refused an operation or broke its contract (details.connector says which). */
  CONNECTOR_FAILED: { domain: 'external', retryable: true },
  /** A source cannot resume from a stored position (it no longer exists there, or is malformed). */
  SOURCE_POSITION_INVALID: { domain: 'user', retryable: false },
  /** A schema id in a record is unknown to the schema registry. */
  SCHEMA_NOT_FOUND: { domain: 'user', retryable: false },
  /** A writer schema cannot be read with the reader schema (schema evolution rules). */
  SCHEMA_INCOMPATIBLE: { domain: 'user', retryable: false },
  // testing and fault injection
  FAILPOINT: { domain: 'internal', retryable: false },
  INTERNAL: { domain: 'internal', retryable: false },
} as const satisfies Record<string, { domain: ErrorDomain; retryable: boolean }>;

export type ErrorDomain = 'user' | 'external' | 'internal';
export type ErrorCode = keyof typeof errorCodes;
