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
 * and line through `plain` (the suite's progress lines).
 */
export function createProgress(total: number, plain: (line: string) => void): Progress {
  if (!process.stderr.isTTY) {
    let done = 0;
    return {
      step: (label) => plain(`[${++done}/${total}] ${label}`),
      log: (line) => plain(`  ${line}`),
      stop: () => {},
    };
  }
  const multi = new MultiBar(
    {
      stream: process.stderr,
      format: '  nexmark {bar} {value}/{total} | {eta_formatted} left | {label}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const bar: SingleBar = multi.create(total, 0, { label: 'starting' });
  let started = false;
  return {
    step(label) {
      if (started) bar.increment(1, { label });
      else bar.update(0, { label });
      started = true;
    },
    log: (line) => multi.log(`  ${line}\n`),
    stop() {
      bar.update(total, { label: 'done' });
      multi.stop();
    },
  };
}
