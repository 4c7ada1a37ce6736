import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** Progress of a run: a bar on a terminal, plain lines otherwise (logs, CI, pipes). */
export interface Progress {
  /** Starts step `label` (advances the bar past the previous step). */
  step(label: string): void;
  /** A line for the reader (a case's result). */
  log(line: string): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr when it is a terminal (result lines printed above it), else every step
 * and line through `plain` (the suite's progress lines). With a `total` of steps the bar fills toward it
 * with an ETA; without one (suites that do not count their steps up front) it shows the steps done, the
 * time taken and the current step.
 */
export function createProgress(
  total: number | undefined,
  plain: (line: string) => void,
  name = 'nexmark',
): Progress {
  if (!process.stderr.isTTY) {
    let done = 0;
    return {
      step: (label) => plain(total === undefined ? label : `[${++done}/${total}] ${label}`),
      log: (line) => plain(`  ${line}`),
      stop: () => {},
    };
  }
  const multi = new MultiBar(
    {
      stream: process.stderr,
      format:
        total === undefined
          ? `  ${name} step {value} | {duration_formatted} | {label}`
          : `  ${name} {bar} {value}/{total} | {eta_formatted} left | {label}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const bar: SingleBar = multi.create(total ?? 0, 0, { label: 'starting' });
  let started = false;
  return {
    step(label) {
      if (started) bar.increment(1, { label });
      else bar.update(total === undefined ? 1 : 0, { label });
      started = true;
    },
    log: (line) => multi.log(`  ${line}\n`),
    stop() {
      if (total !== undefined) bar.update(total, { label: 'done' });
      multi.stop();
    },
  };
}
