import {
  EngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { backoffMs, type RetryOptions, retryAfterMs } from './webhook-retry.ts';

/** Options of `webhookSink` (connection only: the engine names the sink). */
export interface WebhookSinkOptions {
  /** The endpoint records are POSTed to (http: or https:). */
  readonly url: string;
  /**
   * Several records per request: up to `maxRecords` of one partition, as newline-delimited values
   * (`ndjson`) or a JSON array of values (`json-array`; values must be JSON). Default: one record per request.
   */
  readonly batch?: { readonly maxRecords: number; readonly format: 'ndjson' | 'json-array' };
  /** Extra request headers (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default `{ attempts: 5, minMs: 100, maxMs: 10_000 }`. */
  readonly retry?: RetryOptions;
  /** Per request (default 10 000). */
  readonly timeoutMs?: number;
  /** The receiver drops a request whose Idempotency-Key it has seen: the guarantee becomes 'idempotent'. */
  readonly receiverDedups?: boolean;
  /** Content type of a one-record request (default application/octet-stream). */
  readonly contentType?: string;
  /** Values over this many bytes are refused with INVALID_RECORD before anything is sent. */
  readonly maxValueBytes?: number;
  /** Injected waits and randomness (tests): defaults are setTimeout and Math.random. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const WEBHOOK = 'webhook';

function invalid(message: string, option: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `webhookSink: ${message}`, {
    details: { connector: WEBHOOK, option },
  });
}

function integer(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`option ${option} must be an integer from ${min} to ${max}, got ${String(value)}`, option);
  return value;
}

interface WebhookConfig {
  readonly url: string;
  readonly maxRecords: number;
  readonly format: 'single' | 'ndjson' | 'json-array';
  readonly headers: Readonly<Record<string, string>>;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  readonly contentType: string;
  readonly maxValueBytes: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

function resolveOptions(options: WebhookSinkOptions): WebhookConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options are required', 'options');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw invalid(`option url must be an http:// or https:// URL, got ${String(options.url)}`, 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`option url must be an http:// or https:// URL, got ${options.url}`, 'url');
  const batch = options.batch;
  if (batch !== undefined) {
    if (typeof batch !== 'object' || batch === null) throw invalid('option batch must be an object', 'batch');
    if (batch.format !== 'ndjson' && batch.format !== 'json-array')
      throw invalid(
        `option batch.format must be 'ndjson' or 'json-array', got ${String(batch.format)}`,
        'batch.format',
      );
    integer(batch.maxRecords, 'batch.maxRecords', 1, 100_000);
  }
  const retry = options.retry ?? { attempts: 5, minMs: 100, maxMs: 10_000 };
  integer(retry.attempts, 'retry.attempts', 1, 1000);
  integer(retry.minMs, 'retry.minMs', 0, 3_600_000);
  integer(retry.maxMs, 'retry.maxMs', retry.minMs, 3_600_000);
  if (options.headers !== undefined && (typeof options.headers !== 'object' || options.headers === null))
    throw invalid('option headers must be an object of strings', 'headers');
  return {
    url: options.url,
    maxRecords: batch?.maxRecords ?? 1,
    format: batch?.format ?? 'single',
    headers: { ...options.headers },
    retry,
    timeoutMs:
      options.timeoutMs === undefined ? 10_000 : integer(options.timeoutMs, 'timeoutMs', 1, 3_600_000),
    contentType: options.contentType ?? 'application/octet-stream',
    maxValueBytes:
      options.maxValueBytes === undefined
        ? Number.MAX_SAFE_INTEGER
        : integer(options.maxValueBytes, 'maxValueBytes', 1, Number.MAX_SAFE_INTEGER),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
}

/**
 * POSTs records to an HTTP endpoint, one per request or in batches of one partition, each request with
 * an `Idempotency-Key`: the record id (`<pipeline>/<sink>/<partition>/<offset>`) or, for a batch, the
 * first id and the last offset (`<pipeline>/<sink>/<partition>/<from>-<to>`). 5xx, 429 (after its
 * Retry-After), timeouts and network errors are retried with exponential backoff and jitter; another
 * 4xx refuses the record (INVALID_RECORD with its index; a refused batch is resent record by record to
 * find it). Guarantee: 'idempotent' when `receiverDedups` and one record per request, else
 * 'at-least-once' (a replay after a crash may cut batches differently, so their keys differ).
 */
export function webhookSink(options: WebhookSinkOptions): SinkConnector {
  const config = resolveOptions(options);
  return {
    kind: 'sink-connector',
    connector: WEBHOOK,
    guarantee: options.receiverDedups === true && config.format === 'single' ? 'idempotent' : 'at-least-once',
    open: async (context: SinkContext): Promise<SinkWriter> => new WebhookWriter(config, context),
  };
}

/** A request's outcome: delivered, refused for good (another 4xx), or failed after every attempt. */
type Outcome = { ok: true } | { ok: false; status: number; body: string };

/**
 * One sink's poster. Ownership: holds no connection of its own (fetch's pool). Ordering: requests go
 * one at a time in record order, so the receiver sees each partition in order. Blocking: `write`
 * resolves once every request of the call was answered 2xx (so `commit` has nothing left to do).
 * Failure: INVALID_RECORD for a refused record, CONNECTOR_UNAVAILABLE / CONNECTOR_FAILED (retryable)
 * when the attempts run out.
 */
class WebhookWriter implements SinkWriter {
  /** Per partition, the highest offset answered 2xx: a write repeated after INVALID_RECORD skips them. */
  private readonly delivered = new Map<number, number>();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly config: WebhookConfig,
    private readonly context: SinkContext,
  ) {}

  async committed(): Promise<undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.refuseUnsendable(records);
    const { maxRecords } = this.config;
    let i = 0;
    while (i < records.length) {
      const first = records[i]!;
      if (first.offset <= (this.delivered.get(first.partition) ?? -1)) {
        i++;
        continue;
      }
      // A batch: consecutive records of one partition within one block of maxRecords offsets.
      const block = Math.floor(first.offset / maxRecords);
      let end = i + 1;
      while (
        end < records.length &&
        end - i < maxRecords &&
        records[end]!.partition === first.partition &&
        Math.floor(records[end]!.offset / maxRecords) === block
      )
        end++;
      await this.send(records, i, end);
      i = end;
    }
  }

  /** Refuses values over maxValueBytes and non-JSON values of a json-array batch before anything is sent. */
  private refuseUnsendable(records: readonly SinkRecord[]): void {
    for (let i = 0; i < records.length; i++) {
      const value = records[i]!.value;
      if (value === null) continue;
      let problem: string | undefined;
      if (value.byteLength > this.config.maxValueBytes)
        problem = `has ${value.byteLength} bytes, over maxValueBytes ${this.config.maxValueBytes}`;
      else if (this.config.format === 'json-array')
        try {
          JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
        } catch {
          problem = 'is not JSON (batch.format json-array)';
        }
      if (problem !== undefined)
        throw new EngineError('INVALID_RECORD', `webhookSink: record ${records[i]!.id} ${problem}`, {
          details: { connector: WEBHOOK, index: i, id: records[i]!.id },
        });
    }
  }

  /** Sends records[from, to) as one request; a refused batch is resent one by one to find the bad record. */
  private async send(records: readonly SinkRecord[], from: number, to: number): Promise<void> {
    const first = records[from]!;
    const last = records[to - 1]!;
    const key = this.config.format === 'single' ? first.id : `${first.id}-${last.offset}`;
    const outcome = await this.post(key, this.body(records, from, to), records, from);
    if (!outcome.ok) {
      if (this.config.format !== 'single' && to - from > 1) {
        for (let i = from; i < to; i++) await this.sendOne(records, i);
        return;
      }
      throw new EngineError(
        'INVALID_RECORD',
        `webhookSink: ${this.config.url} refused record ${first.id} with ${outcome.status}: ${outcome.body.slice(0, 200)}`,
        { details: { connector: WEBHOOK, index: from, id: first.id, status: outcome.status } },
      );
    }
    this.delivered.set(first.partition, last.offset);
  }

  private async sendOne(records: readonly SinkRecord[], index: number): Promise<void> {
    const record = records[index]!;
    const outcome = await this.post(record.id, this.body(records, index, index + 1), records, index);
    if (!outcome.ok)
      throw new EngineError(
        'INVALID_RECORD',
        `webhookSink: ${this.config.url} refused record ${record.id} with ${outcome.status}: ${outcome.body.slice(0, 200)}`,
        { details: { connector: WEBHOOK, index, id: record.id, status: outcome.status } },
      );
    this.delivered.set(record.partition, record.offset);
  }

  private body(records: readonly SinkRecord[], from: number, to: number): Uint8Array {
    const format = this.config.format;
    if (format === 'single') return records[from]!.value ?? new Uint8Array(0);
    let size = format === 'json-array' ? 2 : 0;
    for (let i = from; i < to; i++) size += (records[i]!.value?.byteLength ?? 4) + 1;
    const body = new Uint8Array(size);
    let at = 0;
    if (format === 'json-array') body[at++] = 0x5b; // [
    for (let i = from; i < to; i++) {
      if (format === 'json-array' && i > from) body[at++] = 0x2c; // ,
      const value = records[i]!.value ?? this.encoder.encode('null');
      body.set(value, at);
      at += value.byteLength;
      if (format === 'ndjson') body[at++] = 0x0a; // \n
    }
    if (format === 'json-array') body[at++] = 0x5d; // ]
    return body.subarray(0, at);
  }

  private contentType(): string {
    const format = this.config.format;
    return format === 'single'
      ? this.config.contentType
      : format === 'ndjson'
        ? 'application/x-ndjson'
        : 'application/json';
  }

  /** POSTs with retries; resolves ok on 2xx, not ok on a refusing 4xx; throws when the attempts run out. */
  private async post(
    key: string,
    body: Uint8Array,
    records: readonly SinkRecord[],
    index: number,
  ): Promise<Outcome> {
    const { retry, url } = this.config;
    const headers = {
      ...this.config.headers,
      'content-type': this.contentType(),
      'idempotency-key': key,
    };
    let lastError: unknown;
    let lastStatus = 0;
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        const text = await response.text();
        if (response.ok) return { ok: true };
        lastStatus = response.status;
        lastError = new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
        const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
        if (!retryable) return { ok: false, status: response.status, body: text };
        if (response.status === 429 || response.status === 503)
          wait = retryAfterMs(response.headers.get('retry-after'), Date.now());
      } catch (error) {
        lastError = error;
        lastStatus = 0;
      }
      if (attempt >= retry.attempts) break;
      await this.config.sleep(wait ?? backoffMs(attempt, retry, this.config.random));
    }
    const id = records[index]!.id;
    throw new EngineError(
      lastStatus === 0 ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_FAILED',
      `webhookSink: POST ${url} (record ${id}) failed ${retry.attempts} times; last: ${String(lastError)}`,
      {
        cause: lastError,
        retryable: true,
        details: {
          connector: WEBHOOK,
          url,
          id,
          status: lastStatus || undefined,
          pipeline: this.context.pipeline,
          sink: this.context.name,
        },
      },
    );
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    // Every write already waited for its 2xx answers: nothing is pending.
  }

  async close(): Promise<void> {}
}
