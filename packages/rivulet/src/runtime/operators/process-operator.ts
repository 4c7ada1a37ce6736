import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

type ProcessFn = (value: unknown, context: ProcessContext) => readonly unknown[] | undefined;

/** The context a processor sees: the key, the timestamp, and per-key views of its stores. */
class ProcessContext {
  key: unknown = undefined;
  timestamp = 0;

  constructor(
    private readonly stores: ReadonlyMap<string, OperatorStore>,
    private readonly label: string,
  ) {}

  state(name: string): { get(): unknown; set(value: unknown): void; clear(): void } {
    const store = this.stores.get(name);
    if (store === undefined)
      throw new TypeError(`${this.label} has no store '${name}' (declare it in process(..., { stores }))`);
    const key = this.key;
    return {
      get: () => store.get(key),
      set: (value) => store.put(key, value),
      clear: () => store.delete(key),
    };
  }
}

/** Runs a user processor per record; the values it returns are emitted with the record's key and timestamp. */
export class ProcessOperator extends Operator {
  readonly #context: ProcessContext;

  constructor(
    label: string,
    private readonly fn: ProcessFn,
    stores: ReadonlyMap<string, OperatorStore>,
  ) {
    super(label);
    this.#context = new ProcessContext(stores, label);
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const context = this.#context;
    for (const record of batch) {
      context.key = record.key;
      context.timestamp = record.timestamp;
      let results: readonly unknown[] | undefined;
      try {
        results = this.fn(record.value, context);
      } catch (error) {
        // State the processor changed before throwing stays changed (as in Kafka Streams).
        this.reject(error, record);
        continue;
      }
      if (results !== undefined) for (const value of results) out.push(record.derive(value));
    }
    this.emit(out);
  }
}
