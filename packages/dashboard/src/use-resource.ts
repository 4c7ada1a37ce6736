import { useEffect, useState } from 'preact/hooks';
import { fetchJson } from './fetch-json.ts';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Fetch again now. */
  reload(): void;
}

/**
 * GETs `path` (undefined: nothing), again every `refreshMs` when given and whenever `path` changes. A
 * response that arrives after the path changed is dropped; a path's data stays while it is refetched,
 * and no other path's data is ever returned for it.
 */
export function useResource<T>(path: string | undefined, refreshMs?: number): Resource<T> {
  const [loaded, setLoaded] = useState<{ path: string; body: T } | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    fetchJson<T>(path, controller.signal).then(
      (body) => {
        setLoaded({ path, body });
        setError(undefined);
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    const timer = refreshMs === undefined ? undefined : setTimeout(() => setTick((t) => t + 1), refreshMs);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [path, refreshMs, tick]);
  const data = loaded !== undefined && loaded.path === path ? loaded.body : undefined;
  return { data, error, reload: () => setTick((t) => t + 1) };
}
