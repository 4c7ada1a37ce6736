import { EngineError } from 'rivulet/connector';
import { DataFileNames } from './data-file-names.ts';
import type { S3Client } from './s3-client.ts';
import type { TableFile, TableStore } from './table-store.ts';

interface S3ManifestJson {
  version: 1;
  /** Next outbox offset per partition after the last commit. */
  positions: Array<[number, number]>;
  /** Keys of the objects the last commit wrote (informational: committed = see isCommitted). */
  files: string[];
}

const PUT_CONCURRENCY = 8;

/**
 * A table in an S3-compatible bucket, exactly once without rename. Data objects are PUT under their
 * FINAL names (`<prefix><partition dirs>/<base>-p<partition>-<first>-<last>.parquet`; a PUT is atomic,
 * so no reader ever sees half an object), then the manifest object `<prefix>_rivulet-<base>.manifest.json`
 * is PUT: the commit point. An object of this sink is committed iff its last offset is below the
 * manifest's position for its partition; `recover` (on open) deletes every other object of this sink:
 * those of a commit that crashed before its manifest. Replays after that write only rows at or above the
 * positions, so committed objects are never rewritten, and a replayed range gets the same name again.
 *
 * The manifest is created (empty) on the first open, before any data object: data objects of this sink
 * with no manifest can then only mean the manifest was deleted, and open refuses (non-retryable) rather
 * than guess which objects were committed.
 *
 * Ownership: one writer at a time, and a failed commit waits for all its PUTs to settle before it
 * rejects, so no request of an abandoned writer can land after the next writer's recovery.
 */
export class S3TableStore implements TableStore {
  readonly location: string;
  readonly manifestKey: string;
  private readonly names: DataFileNames;

  constructor(
    private readonly client: S3Client,
    private readonly prefix: string,
    base: string,
  ) {
    this.location = client.location;
    this.names = new DataFileNames(base);
    this.manifestKey = `${prefix}_rivulet-${base}.manifest.json`;
  }

  fileName(partition: number, first: number, last: number): string {
    return this.names.name(partition, first, last);
  }

  async recover(): Promise<Map<number, number>> {
    const manifest = await this.readManifest();
    const ours = (await this.client.list(this.prefix)).filter(
      (key) => this.names.parse(key.slice(key.lastIndexOf('/') + 1)) !== undefined,
    );
    if (manifest === undefined) {
      if (ours.length > 0)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `parquetSink: ${ours.length} data objects of this sink under ${this.location} but no manifest ${this.manifestKey}: restore the manifest or remove the objects`,
          {
            retryable: false,
            details: { connector: 'parquet', manifest: this.manifestKey, example: ours[0] },
          },
        );
      await this.writeManifest(new Map(), []);
      return new Map();
    }
    const stale = ours.filter((key) => !this.isCommitted(key, manifest));
    // One at a time: at most one crashed commit's objects, and s3rver (the test server) fails concurrent
    // DELETEs that empty the same directory.
    for (const key of stale) await this.client.delete(key);
    return manifest;
  }

  async commit(files: readonly TableFile[], positions: ReadonlyMap<number, number>): Promise<void> {
    const keys = files.map((f) => `${this.prefix}${f.dir === '' ? '' : `${f.dir}/`}${f.name}`);
    await this.pool(
      files.map((_, i) => i),
      (i) => this.client.put(keys[i]!, files[i]!.data, 'application/vnd.apache.parquet'),
    );
    await this.writeManifest(positions, keys); // the commit point
  }

  /** Whether `key` (an object of this sink) belongs to a commit: its last offset is below the position. */
  isCommitted(key: string, positions: ReadonlyMap<number, number>): boolean {
    const parsed = this.names.parse(key.slice(key.lastIndexOf('/') + 1));
    return parsed !== undefined && parsed.last < (positions.get(parsed.partition) ?? 0);
  }

  /** The committed positions, or undefined when there is no manifest yet. */
  async readManifest(): Promise<Map<number, number> | undefined> {
    const bytes = await this.client.get(this.manifestKey);
    if (bytes === undefined) return undefined;
    let json: S3ManifestJson;
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8')) as S3ManifestJson;
    } catch (cause) {
      throw this.damaged(cause);
    }
    if (json?.version !== 1 || !Array.isArray(json.positions)) throw this.damaged(undefined);
    return new Map(json.positions);
  }

  private damaged(cause: unknown): EngineError {
    return new EngineError(
      'CONNECTOR_FAILED',
      `parquetSink: ${this.manifestKey} in bucket ${this.location} is not a Rivulet Parquet manifest (version 1)`,
      { cause, retryable: false, details: { connector: 'parquet', manifest: this.manifestKey } },
    );
  }

  private async writeManifest(positions: ReadonlyMap<number, number>, files: string[]): Promise<void> {
    const json: S3ManifestJson = { version: 1, positions: [...positions], files };
    await this.client.put(this.manifestKey, Buffer.from(JSON.stringify(json)), 'application/json');
  }

  /**
   * Runs `task` for every item, at most PUT_CONCURRENCY at once. Waits for ALL to settle before
   * rejecting with the first failure: no request of this call is still in flight afterwards.
   */
  private async pool<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (next < items.length && failure === undefined) {
        const item = items[next++]!;
        try {
          await task(item);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, items.length) }, worker));
    if (failure !== undefined) throw failure.error;
  }
}
