/**
 * Pipelines `Producer.send` calls for `rivulet produce`: records are queued and sent as batches with up to
 * four sends in flight, so appends share fsyncs (group commit) instead of waiting for one per line. While
 * all sends are busy the queue grows into a bigger next batch; `add` waits only when the queue passes 4 MiB.
 * Sends start in queue order, and the producer appends sends to one partition in call order, so records
 * of a key keep their input order. The first failed send stops further sends; `finish` rethrows it.
 */
import type { Producer } from '../log/index.ts';
import type { ProducerRecord } from '../model/index.ts';

const MAX_IN_FLIGHT = 4;
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class BatchSender {
  readonly #producer: Producer;
  readonly #topic: string;
  #queue: ProducerRecord[] = [];
  #queuedBytes = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #error: unknown;
  #failed = false;
  /** Records acknowledged per partition (index = partition number). */
  readonly appended: number[] = [];

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
  }

  /** True once a send failed; the caller should stop reading input and call `finish`. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Queues records (`bytes`: about their size) and starts a send if one may start. */
  async add(records: readonly ProducerRecord[], bytes: number): Promise<void> {
    for (const record of records) this.#queue.push(record);
    this.#queuedBytes += bytes;
    this.#launch();
    while (this.#queuedBytes >= MAX_QUEUED_BYTES && !this.#failed && this.#inFlight.size > 0) {
      await Promise.race(this.#inFlight);
    }
  }

  #launch(): void {
    if (this.#failed || this.#queue.length === 0 || this.#inFlight.size >= MAX_IN_FLIGHT) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    const send: Promise<void> = this.#producer.send(this.#topic, batch).then(
      (results) => {
        for (const r of results) this.appended[r.partition] = (this.appended[r.partition] ?? 0) + r.count;
      },
      (error: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = error;
        }
      },
    );
    this.#inFlight.add(send);
    void send.finally(() => {
      this.#inFlight.delete(send);
      this.#launch();
    });
  }

  /** Sends what is queued and waits for every send; rethrows the first send error. */
  async finish(): Promise<void> {
    this.#launch();
    while (this.#inFlight.size > 0) {
      await Promise.race(this.#inFlight);
      this.#launch();
    }
    if (this.#failed) throw this.#error;
  }
}
