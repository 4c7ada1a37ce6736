/**
 * The per-task keyed store an operator reads and writes, keyed by decoded keys (the store encodes them
 * deterministically). Writes are visible to reads at once; durability is the task's business (flushed at
 * each checkpoint).
 */
export interface OperatorStore {
  get(key: unknown): unknown;
  put(key: unknown, value: unknown): void;
  delete(key: unknown): void;
}
