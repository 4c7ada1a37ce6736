import { type Duration, EngineError, parseDuration } from '../model/index.ts';

/**
 * When an append is acknowledged:
 * - `fsync` (default): after the bytes are fdatasync'ed; concurrent appends share one fdatasync (group
 *   commit). Acknowledged records survive a power loss.
 * - `interval`: after write(); an fdatasync runs at most `intervalMs` after a write. A power loss may lose
 *   up to that window of acknowledged records; a process crash loses nothing (the OS holds the bytes).
 * - `none`: after write(); the OS flushes when it likes. Survives process crashes, not power loss.
 */
export type DurabilityConfig =
  | { mode: 'fsync' }
  | { mode: 'interval'; intervalMs: number }
  | { mode: 'none' };

/** User form: 'fsync' | 'none' | 'interval(100ms)' | { interval: '100ms' }. */
export type DurabilityOptions = 'fsync' | 'none' | `interval(${string})` | { interval: Duration };

export function resolveDurability(
  options: DurabilityOptions | DurabilityConfig | undefined,
): DurabilityConfig {
  if (options === undefined || options === 'fsync') return { mode: 'fsync' };
  if (options === 'none') return { mode: 'none' };
  if (typeof options === 'object') {
    if ('mode' in options) return options;
    return { mode: 'interval', intervalMs: Math.max(1, parseDuration(options.interval)) };
  }
  const match = /^interval\((.+)\)$/.exec(options);
  if (match !== null) return { mode: 'interval', intervalMs: Math.max(1, parseDuration(match[1]!)) };
  throw new EngineError(
    'INVALID_ARGUMENT',
    `unknown durability '${String(options)}' (fsync | none | interval(100ms))`,
  );
}

export function formatDurability(config: DurabilityConfig): string {
  return config.mode === 'interval' ? `interval(${config.intervalMs}ms)` : config.mode;
}
