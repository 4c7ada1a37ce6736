/**
 * Progress on stderr shared by the CLI commands: a cli-progress bar when stderr is a TTY (and the package
 * loads), else plain lines (logs, CI, pipes). `restoreProgressReporter` shows the stores' changelog
 * replay while a run starts (RunOptions.onRestoreProgress); nothing is shown when nothing is replayed.
 */
import type { StoreRestoreProgress } from '../runtime/index.ts';

export interface ProgressBar {
  start(total: number, value: number): void;
  setTotal(total: number): void;
  update(value: number): void;
  stop(): void;
}

/** A cli-progress bar on stderr with `format`, or undefined when the package cannot be loaded. */
export async function loadProgressBar(format: string): Promise<ProgressBar | undefined> {
  try {
    const { default: cliProgress } = await import('cli-progress');
    return new cliProgress.SingleBar(
      { format, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
  } catch {
    return undefined;
  }
}

export interface RestoreProgressReporter {
  /** For RunOptions.onRestoreProgress. */
  readonly onRestoreProgress: (progress: StoreRestoreProgress) => void;
  /** Ends the bar (if one was shown); call once the run has started or failed to. */
  stop(): void;
}

/**
 * Restore progress on stderr. On a TTY: one bar over the offsets to replay of every store partition
 * reported so far (the total grows as store partitions start replaying). Otherwise one line per store
 * partition at most every 10% or once a second, and always at 100%:
 * `<prefix>restoring <store>/<partition>: N of M offsets (P%), R records`.
 */
export async function restoreProgressReporter(
  options: { prefix?: string; tty?: boolean; write?: (text: string) => void } = {},
): Promise<RestoreProgressReporter> {
  const prefix = options.prefix ?? '';
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const bar =
    (options.tty ?? process.stderr.isTTY === true)
      ? await loadProgressBar(
          `${prefix}restoring stores [{bar}] {percentage}% | {value}/{total} offsets | {duration}s`,
        )
      : undefined;
  const partitions = new Map<string, { done: number; total: number; nextPercent: number; lastAt: number }>();
  let barStarted = false;
  return {
    onRestoreProgress(p) {
      const key = `${p.store}/${p.partition}`;
      const done = p.offset - p.startOffset;
      const total = p.upToOffset - p.startOffset;
      let state = partitions.get(key);
      const first = state === undefined;
      if (state === undefined) {
        state = { done, total, nextPercent: 0, lastAt: 0 };
        partitions.set(key, state);
      }
      state.done = done;
      state.total = total;
      if (bar !== undefined) {
        let sumDone = 0;
        let sumTotal = 0;
        for (const s of partitions.values()) {
          sumDone += s.done;
          sumTotal += s.total;
        }
        if (!barStarted) {
          bar.start(sumTotal, sumDone);
          barStarted = true;
        } else {
          if (first) bar.setTotal(sumTotal);
          bar.update(sumDone);
        }
        return;
      }
      const percent = total <= 0 ? 100 : Math.floor((done / total) * 100);
      const now = performance.now();
      if (percent < state.nextPercent && now - state.lastAt < 1000) return;
      if (state.nextPercent > 100) return; // 100% already printed
      write(
        `${prefix}restoring ${key}: ${done} of ${total} offsets (${percent}%), ${p.recordsReplayed} records\n`,
      );
      state.lastAt = now;
      state.nextPercent = percent >= 100 ? 101 : (Math.floor(percent / 10) + 1) * 10;
    },
    stop() {
      if (barStarted) bar?.stop();
      barStarted = false;
    },
  };
}
