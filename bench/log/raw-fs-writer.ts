import { close, fdatasync, open, write } from 'node:fs';
import { promisify } from 'node:util';
import { makeTempDir, type TempDir } from '../temp-dir.ts';

const openAsync = promisify(open);
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

/**
 * The raw baseline writer: appends chunks to a new file in its own temp dir with positional async
 * fs.write (libuv thread pool, as the log writes) and optionally fdatasyncs after each chunk.
 */
export class RawFsWriter {
  readonly #dir: TempDir;
  readonly #fd: number;
  #position = 0;

  private constructor(dir: TempDir, fd: number) {
    this.#dir = dir;
    this.#fd = fd;
  }

  static async open(): Promise<RawFsWriter> {
    const dir = makeTempDir('raw');
    try {
      return new RawFsWriter(dir, await openAsync(`${dir.path}/raw.log`, 'w+'));
    } catch (error) {
      dir.remove();
      throw error;
    }
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#position;
  }

  /** Appends `chunk[0, length)` (completing partial writes), then fdatasyncs when `sync`. */
  async append(chunk: Buffer, length: number, sync: boolean): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await writeAsync(this.#fd, chunk, done, length - done, this.#position + done);
      done += bytesWritten;
    }
    this.#position += length;
    if (sync) await fdatasyncAsync(this.#fd);
  }

  /** Closes the file and deletes it. */
  async close(): Promise<void> {
    try {
      await closeAsync(this.#fd);
    } finally {
      this.#dir.remove();
    }
  }
}
