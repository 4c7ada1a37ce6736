import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a crash-test child ended: the positions of its last acknowledged commit, and whether it finished. */
export interface CrashChildRun {
  acked: Map<number, number> | undefined;
  done: boolean;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a crash-test child (a TypeScript file using writeLikeDelivery) with `args`: SIGKILLs it `delayMs`
 * after its `killAfterCommits`-th commit line when given, or lets it kill itself before its
 * `crashAtStep`-th file-system step (env CRASH_AT_STEP, see crashAtFileSystemStep). Resolves when it exits.
 */
export function runCrashChild(
  script: string,
  args: readonly string[],
  options: { killAfterCommits?: number; delayMs?: number; crashAtStep?: number } = {},
): Promise<CrashChildRun> {
  const child = spawn(process.execPath, ['--conditions=rivulet-source', '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CRASH_AT_STEP: String(options.crashAtStep ?? 0) },
  });
  const run: CrashChildRun = { acked: undefined, done: false, signal: null };
  let commits = 0;
  let killing = false;
  const kill = () => {
    if (child.exitCode === null && !killing) {
      killing = true;
      child.kill('SIGKILL');
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'done') run.done = true;
    else {
      run.acked = new Map(JSON.parse(line) as Array<[number, number]>);
      commits++;
    }
    if (options.killAfterCommits !== undefined && commits === options.killAfterCommits)
      setTimeout(kill, options.delayMs ?? 0);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      run.signal = signal;
      resolve(run);
    });
  });
}
