import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClient } from 'aws4fetch';
import { parquetReadObjects } from 'hyparquet';
import type { SinkHarness, StoredRecord } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import S3rver from 's3rver';
import { type ParquetS3Target, parquetSink } from '../src/index.ts';

/** s3rver's built-in account (it checks the key id, not SigV4 signatures). */
export const S3RVER_KEY = 'S3RVER';
export const BUCKET = 'lake';

/**
 * A private s3rver (S3-compatible server in Node) on a free port with a temp directory and one bucket.
 * `restart` closes it (dropping open connections) and starts it again on the same port and directory.
 */
export class S3Server {
  private server: S3rver | undefined;

  private constructor(
    readonly port: number,
    readonly directory: string,
  ) {}

  static async start(): Promise<S3Server> {
    const directory = await mkdtemp(join(tmpdir(), 'rivulet-s3rver-'));
    for (let attempt = 0; ; attempt++) {
      const server = new S3Server(await freePort(), directory);
      try {
        await server.run();
        return server;
      } catch (error) {
        if (attempt >= 3) throw error; // the port was taken between the probe and the bind
      }
    }
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.httpServer?.closeAllConnections();
    await server.close();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  /** The sink's `s3` option for this server (a fresh prefix per caller keeps tables apart). */
  target(prefix: string, overrides: Partial<ParquetS3Target> = {}): ParquetS3Target {
    return {
      endpoint: this.endpoint,
      bucket: BUCKET,
      prefix,
      accessKeyId: S3RVER_KEY,
      secretAccessKey: S3RVER_KEY,
      ...overrides,
    };
  }

  private async run(): Promise<void> {
    const server = new S3rver({
      address: '127.0.0.1',
      port: this.port,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: BUCKET }],
    });
    await server.run();
    this.server = server;
  }
}

/**
 * Reads the bucket through aws4fetch directly (not the sink's S3 client): an independent view of what a
 * reader of the bucket sees.
 */
export class BucketReader {
  private readonly aws = new AwsClient({
    accessKeyId: S3RVER_KEY,
    secretAccessKey: S3RVER_KEY,
    service: 's3',
    region: 'us-east-1',
    retries: 0,
  });

  constructor(private readonly endpoint: string) {}

  /** Every key under `prefix` (one ListObjectsV2 page is enough for these tests: asserted). */
  async keys(prefix: string): Promise<string[]> {
    const response = await this.aws.fetch(
      `${this.endpoint}/${BUCKET}?list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`,
    );
    const xml = await response.text();
    if (!response.ok) throw new Error(`list answered ${response.status}: ${xml}`);
    if (xml.includes('<IsTruncated>true</IsTruncated>')) throw new Error('more than 1000 keys');
    return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const response = await this.aws.fetch(`${this.endpoint}/${BUCKET}/${key}`, { method: 'PUT', body });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`PUT ${key} answered ${response.status}`);
  }

  /** The object's bytes, or undefined for 404. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const response = await this.aws.fetch(`${this.endpoint}/${BUCKET}/${key}`);
    if (response.status === 404) {
      await response.arrayBuffer();
      return undefined;
    }
    if (!response.ok) throw new Error(`GET ${key} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Rows of one Parquet object read with hyparquet; INT64 values become numbers. */
  async rows(key: string): Promise<Array<Record<string, unknown>>> {
    const bytes = await this.get(key);
    if (bytes === undefined) throw new Error(`${key} is gone`);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file });
    return rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(row))
        out[name] = typeof value === 'bigint' ? Number(value) : value;
      return out;
    });
  }
}

/** `...-p<partition>-<first>-<last>.parquet` of a key, or undefined for other keys. */
export function objectRange(key: string): { partition: number; first: number; last: number } | undefined {
  const m = /-p(\d+)-(\d+)-(\d+)\.parquet$/.exec(key);
  return m === null ? undefined : { partition: Number(m[1]), first: Number(m[2]), last: Number(m[3]) };
}

/** Sorts object keys by outbox partition, then first offset. */
export function byOutboxOrder(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => {
    const ra = objectRange(a)!;
    const rb = objectRange(b)!;
    return ra.partition - rb.partition || ra.first - rb.first;
  });
}

/**
 * The conformance harness for the S3 target: a private s3rver per fixture (restartable), a fresh prefix,
 * columns `key` STRING and `seq` INT64. `readAll` lists EVERY `.parquet` object under the prefix and reads
 * it with hyparquet, so an object a crashed commit left behind would show up as a duplicate.
 */
export const parquetS3SinkHarness: SinkHarness = {
  guarantee: 'transactional',
  upsert: false,
  ordered: true,
  structured: true,
  restartable: true,
  async create() {
    const server = await S3Server.start();
    const prefix = `t-${randomBytes(4).toString('hex')}/`;
    const reader = new BucketReader(server.endpoint);
    const sink = parquetSink({
      s3: server.target(prefix),
      columns: [
        { name: 'key', type: 'STRING' },
        { name: 'seq', type: 'INT64' },
      ],
    });
    return {
      sink,
      async readAll(): Promise<StoredRecord[]> {
        const keys = (await reader.keys(prefix)).filter((k) => k.endsWith('.parquet'));
        const stored: StoredRecord[] = [];
        for (const key of byOutboxOrder(keys))
          for (const row of await reader.rows(key))
            stored.push({ key: typeof row.key === 'string' ? row.key : null, value: row });
        return stored;
      },
      restartServer: () => server.restart(),
      close: () => server.close(),
    };
  },
};
