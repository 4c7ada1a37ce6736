import type { Plan, SubTopology } from '../../plan/index.ts';
import {
  buildTaskGraph,
  type OperatorStore,
  type RangeStore,
  type TaskGraph,
  TimerStore,
} from '../../runtime/index.ts';

/** A byte-ordered in-memory range store whose values are copied in and out, as an encoding store's are. */
function copyingRangeStore(data: Map<string, unknown>): RangeStore & { get(key: Uint8Array): unknown } {
  const id = (key: Uint8Array) => Buffer.from(key).toString('latin1');
  return {
    get: (key) => structuredClone(data.get(id(key))),
    put: (key, value) => data.set(id(key), structuredClone(value)),
    delete: (key) => data.delete(id(key)),
    range: (from, to, options) =>
      [...data.keys()]
        .filter((k) => (from === undefined || k >= id(from)) && (to === undefined || k < id(to)))
        .sort()
        .slice(0, options?.limit)
        .map((k) => ({ key: Buffer.from(k, 'latin1'), value: structuredClone(data.get(k)) })),
  };
}

/**
 * Task graphs of one sub-topology over stores that outlive them, as a changelog restore would give a
 * restarted task (values copied in and out): call `task()` before and after a "restart". What every
 * task writes is collected, in order, in `written` as [topic, decoded JSON value, timestamp].
 */
export function restartableTask(
  plan: Plan,
  sub: SubTopology,
): { task: () => TaskGraph; written: Array<[string, unknown, number]> } {
  const stores = new Map<string, Map<string, unknown>>();
  const storeData = (name: string) => stores.get(name) ?? stores.set(name, new Map()).get(name)!;
  const keyValueStore = (name: string): OperatorStore => {
    const data = storeData(name);
    return {
      get: (key) => structuredClone(data.get(JSON.stringify(key))),
      put: (key, value) => data.set(JSON.stringify(key), structuredClone(value)),
      delete: (key) => data.delete(JSON.stringify(key)),
    };
  };
  const written: Array<[string, unknown, number]> = [];
  const task = () =>
    buildTaskGraph(plan, sub, {
      store: (spec) => keyValueStore(spec.name),
      writer: (t) => ({
        write: (_key, value, timestamp) =>
          written.push([t, JSON.parse(Buffer.from(value!).toString()), timestamp]),
      }),
      timers: (spec, domain) => new TimerStore(copyingRangeStore(storeData(spec.name)), domain),
      windowStore: (spec) => copyingRangeStore(storeData(spec.name)),
      partition: 0,
      partitions: 1,
      clock: () => 0,
    });
  return { task, written };
}
