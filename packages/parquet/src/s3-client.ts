import { AwsClient } from 'aws4fetch';
import { EngineError } from 'rivulet/connector';

/** Where an S3-compatible table lives (path-style requests: `<endpoint>/<bucket>/<key>`, SigV4-signed). */
export interface ParquetS3Target {
  /** `http(s)://host[:port]` of the S3 API, e.g. `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`. */
  readonly endpoint: string;
  /** An existing bucket (the sink never creates one). */
  readonly bucket: string;
  /** Key prefix of the table inside the bucket, e.g. `lake/events/`. Default '' (the bucket root). */
  readonly prefix?: string;
  /** SigV4 signing region. Default 'us-east-1'. */
  readonly region?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** For temporary credentials (STS). */
  readonly sessionToken?: string;
  /** A request that has not answered after this long fails as CONNECTOR_UNAVAILABLE. Default 60,000 ms. */
  readonly requestTimeoutMs?: number;
}

export interface ResolvedS3Target {
  readonly endpoint: string;
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
  readonly requestTimeoutMs: number;
}

const CONNECTOR = 'parquet';

function invalid(message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `parquetSink: ${message}`, {
    details: { connector: CONNECTOR },
  });
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(`\`s3.${name}\` must be a non-empty string`);
  return value;
}

/** Validates the `s3` option; throws INVALID_ARGUMENT naming the bad field (`s3.bucket`, ...). */
export function resolveS3Target(target: ParquetS3Target): ResolvedS3Target {
  if (target === null || typeof target !== 'object')
    throw invalid('`s3` must be { endpoint, bucket, accessKeyId, secretAccessKey, ... }');
  const endpoint = nonEmpty('endpoint', target.endpoint);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid(`\`s3.endpoint\` must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '')
    throw invalid(`\`s3.endpoint\` must be an http(s) URL without query, got ${JSON.stringify(endpoint)}`);
  const bucket = nonEmpty('bucket', target.bucket);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw invalid(`\`s3.bucket\` must be a bucket name (3-63 of a-z 0-9 . -), got ${JSON.stringify(bucket)}`);
  let prefix = target.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.startsWith('/') || prefix.includes('//') || prefix.includes('\\'))
    throw invalid(`\`s3.prefix\` must be a key prefix without a leading '/', got ${JSON.stringify(prefix)}`);
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const region = target.region ?? 'us-east-1';
  if (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region))
    throw invalid(`\`s3.region\` must be a region name like 'us-east-1', got ${JSON.stringify(region)}`);
  const sessionToken = target.sessionToken;
  if (sessionToken !== undefined && (typeof sessionToken !== 'string' || sessionToken === ''))
    throw invalid('`s3.sessionToken` must be a non-empty string when given');
  const requestTimeoutMs = target.requestTimeoutMs ?? 60_000;
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 1)
    throw invalid(`\`s3.requestTimeoutMs\` must be an integer >= 1, got ${JSON.stringify(requestTimeoutMs)}`);
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    bucket,
    prefix,
    region,
    accessKeyId: nonEmpty('accessKeyId', target.accessKeyId),
    secretAccessKey: nonEmpty('secretAccessKey', target.secretAccessKey),
    sessionToken,
    requestTimeoutMs,
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!);
}

/**
 * The few S3 calls the Parquet sink makes (PUT, GET, DELETE object, ListObjectsV2), signed with SigV4 by
 * aws4fetch over Node's fetch. Every call resolves once S3 answered 2xx (a PUT is then durable and atomic:
 * readers see the whole object or none). Failures reject with an EngineError: network errors, timeouts,
 * 408, 429 and 5xx as CONNECTOR_UNAVAILABLE (retryable: S3 calls are idempotent and the sink recovers on
 * reopen); 403 (credentials, policy), 404 NoSuchBucket and other 4xx as CONNECTOR_FAILED, not retryable
 * (reopening cannot help). No retries here: the engine retries by reopening the writer.
 */
export class S3Client {
  readonly location: string;
  private readonly aws: AwsClient;

  constructor(private readonly target: ResolvedS3Target) {
    this.location = `s3://${target.bucket}/${target.prefix}`;
    this.aws = new AwsClient({
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
      ...(target.sessionToken === undefined ? {} : { sessionToken: target.sessionToken }),
      service: 's3',
      region: target.region,
      retries: 0,
    });
  }

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    const response = await this.request('PUT', key, undefined, {
      body: data,
      headers: { 'content-type': contentType },
    });
    await response.arrayBuffer();
  }

  /** The object's bytes, or undefined when there is no such key. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const response = await this.request('GET', key, undefined, {}, true);
    if (response.status === 404) return undefined;
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Deletes the object (S3 answers 204 whether or not it existed). */
  async delete(key: string): Promise<void> {
    const response = await this.request('DELETE', key, undefined, {});
    await response.arrayBuffer();
  }

  /** Every key that starts with `prefix` (ListObjectsV2, all pages), in S3's (lexicographic) order. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ 'list-type': '2', prefix, 'max-keys': '1000' });
      if (token !== undefined) query.set('continuation-token', token);
      const response = await this.request('GET', '', query, {});
      const xml = await response.text();
      for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(xmlText(match[1]!));
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      if (!truncated || next === undefined) return keys;
      token = xmlText(next);
    }
  }

  private async request(
    method: string,
    key: string,
    query: URLSearchParams | undefined,
    init: { body?: Uint8Array; headers?: Record<string, string> },
    missingKeyIsAnswer = false,
  ): Promise<Response> {
    const path = key === '' ? '' : `/${key.split('/').map(encodeURIComponent).join('/')}`;
    const url = `${this.target.endpoint}/${this.target.bucket}${path}${query === undefined ? '' : `?${query}`}`;
    const details = { connector: CONNECTOR, bucket: this.target.bucket, key, method };
    let response: Response;
    try {
      response = await this.aws.fetch(url, {
        method,
        ...init,
        signal: AbortSignal.timeout(this.target.requestTimeoutMs),
      });
    } catch (error) {
      throw new EngineError(
        'CONNECTOR_UNAVAILABLE',
        `parquetSink: ${method} ${this.location}${key.slice(this.target.prefix.length)} failed: ${describe(error)}`,
        { cause: error, retryable: true, details },
      );
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    if (response.status === 404 && missingKeyIsAnswer && code !== 'NoSuchBucket') return response;
    const status = response.status;
    const transient = status >= 500 || status === 408 || status === 429;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    throw new EngineError(
      transient ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_FAILED',
      `parquetSink: ${method} s3://${this.target.bucket}/${key} answered ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${xmlText(message)}`}`,
      { retryable: transient, details: { ...details, status, code } },
    );
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const base = (error as Error)?.message ?? String(error);
  return cause?.code !== undefined ? `${base} (${cause.code})` : base;
}
