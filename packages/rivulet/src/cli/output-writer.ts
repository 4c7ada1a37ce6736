/**
 * Writes command output to a stream (stdout) with backpressure, and notices when the reader went away:
 * after EPIPE (`rivulet consume ... | head`) `broken` turns true and later writes are dropped, so a
 * command can stop quietly instead of crashing on the unhandled 'error' event.
 */
export class OutputWriter {
  readonly #stream: NodeJS.WritableStream;
  #broken = false;
  #error: Error | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  readonly #onError = (error: Error): void => {
    this.#broken = true;
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') this.#error ??= error;
  };

  /** True once the stream failed; nothing more is written. */
  get broken(): boolean {
    return this.#broken;
  }

  /** The stream's error other than EPIPE, if any (a closed pipe is a normal way to stop reading). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Writes `text`; resolves when the stream can take more (or broke). */
  async write(text: string): Promise<void> {
    if (this.#broken || text.length === 0) return;
    if (this.#stream.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#stream.off('drain', done);
        this.#stream.off('error', done);
        this.#stream.off('close', done);
        resolve();
      };
      this.#stream.on('drain', done);
      this.#stream.on('error', done);
      this.#stream.on('close', done);
    });
  }

  /** Stops listening to the stream. */
  close(): void {
    this.#stream.off('error', this.#onError);
  }
}
