/**
 * `npm run chaos -- <scenario> [--cycles N] [--seed S]`: runs a fault scenario longer than CI does, with
 * a replayable seed. Scenarios (each is a test file run through the test runner):
 *   runtime      SIGKILL the exactly-once pipeline N times (default 200) and check 0 lost / 0 duplicated
 *   log-kill     SIGKILL appends with fsync N times (default 500)
 *   failpoints   crash at every log failpoint
 *   disk-full    fill a private tmpfs until ENOSPC
 * Exits with the test runner's status.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const scenarios: Record<string, { file: string; cyclesEnv?: string; defaultCycles?: number }> = {
  runtime: {
    file: 'test/runtime/crash-recovery.test.ts',
    cyclesEnv: 'RIVULET_CRASH_CYCLES',
    defaultCycles: 200,
  },
  'log-kill': {
    file: 'test/fault/sigkill-append.test.ts',
    cyclesEnv: 'RIVULET_FAULT_CYCLES',
    defaultCycles: 500,
  },
  failpoints: { file: 'test/fault/crash-failpoints.test.ts' },
  'disk-full': { file: 'test/fault/disk-full.test.ts' },
};

const [name, ...rest] = process.argv.slice(2);
const scenario = name === undefined ? undefined : scenarios[name];
if (scenario === undefined) {
  console.error(`usage: npm run chaos -- <${Object.keys(scenarios).join('|')}> [--cycles N] [--seed S]`);
  process.exit(2);
}
const option = (flag: string): string | undefined => {
  const i = rest.indexOf(flag);
  return i >= 0 ? rest[i + 1] : undefined;
};
const env: NodeJS.ProcessEnv = { ...process.env };
const cycles =
  option('--cycles') ?? (scenario.defaultCycles === undefined ? undefined : String(scenario.defaultCycles));
if (scenario.cyclesEnv !== undefined && cycles !== undefined) env[scenario.cyclesEnv] = cycles;
const seed = option('--seed');
if (seed !== undefined) env.RIVULET_SEED = seed;
const packageDir = join(import.meta.dirname, '..', 'packages', 'rivulet');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=0', scenario.file],
  {
    cwd: packageDir,
    env,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
