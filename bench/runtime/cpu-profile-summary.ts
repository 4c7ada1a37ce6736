/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`):
 * `npx tsx bench/runtime/cpu-profile-summary.ts <file.cpuprofile> [--from US --to US] [--top N]`.
 * `--from/--to` keep only samples inside a window of process.hrtime microseconds (the `windowUs` a
 * runtime case prints; V8 profiles use the same monotonic clock on Linux). Functions are grouped by
 * file:function; shares are of all sampled time in the window, idle and GC included.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  micros: number;
  share: number;
}

function frameName(node: ProfileNode, root: string): string {
  const { functionName, url } = node.callFrame;
  const fn = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return fn;
  let file = url;
  if (url.startsWith('file://')) {
    const path = fileURLToPath(url);
    file = path.includes('/node_modules/')
      ? path.slice(path.lastIndexOf('/node_modules/') + 14)
      : relative(root, path);
  }
  return `${file}:${fn}`;
}

/** Self time per file:function inside [fromUs, toUs], largest first. */
export function summarizeProfile(profile: CpuProfile, root: string, fromUs = 0, toUs = Infinity): SelfTime[] {
  const names = new Map<number, string>();
  for (const node of profile.nodes) names.set(node.id, frameName(node, root));
  const totals = new Map<string, number>();
  let time = profile.startTime;
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < fromUs || time > toUs) continue;
    // A sample's weight is the time until the next one (the last sample gets the previous delta).
    const weight = profile.timeDeltas[i + 1] ?? delta;
    const name = names.get(profile.samples[i]!) ?? '?';
    totals.set(name, (totals.get(name) ?? 0) + weight);
    all += weight;
  }
  return [...totals]
    .map(([name, micros]) => ({ name, micros, share: micros / all }))
    .sort((a, b) => b.micros - a.micros);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const option = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : Number(args[i + 1]);
  };
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
  if (file === undefined) {
    process.stderr.write('usage: cpu-profile-summary.ts <file.cpuprofile> [--from US --to US] [--top N]\n');
    process.exit(1);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const from = option('--from') ?? profile.startTime;
  const to = option('--to') ?? profile.endTime;
  const rows = summarizeProfile(profile, process.cwd(), from, to);
  const total = rows.reduce((sum, r) => sum + r.micros, 0);
  process.stdout.write(
    `profile ${profile.startTime}..${profile.endTime} us, window ${from}..${to} us, ${(total / 1e6).toFixed(2)} s sampled\n`,
  );
  for (const row of rows.slice(0, option('--top') ?? 25))
    process.stdout.write(
      `${(row.share * 100).toFixed(1).padStart(5)}%  ${(row.micros / 1000).toFixed(0).padStart(6)} ms  ${row.name}\n`,
    );
}
