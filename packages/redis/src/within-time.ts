/**
 * `promise`, or a rejection with `timeout()` once `ms` pass first. The promise itself is not cancelled
 * (a queued Redis command still runs if the connection comes back); its late failure is ignored.
 */
export function withinTime<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
