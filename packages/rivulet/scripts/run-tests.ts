/**
 * Runs the test files with node:test through tsx (Node 20's runner does not expand globs).
 *   tsx scripts/run-tests.ts            every test: src/**\/*.test.ts (unit) and test/**\/*.test.ts (fault, CLI)
 *   tsx scripts/run-tests.ts --unit     unit tests only
 *   tsx scripts/run-tests.ts FILTER...  files whose path contains one of the filters
 * Exits with the runner's status.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');

function collect(dir: string, out: string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
let files = collect(join(root, 'src'), []);
if (!unitOnly) collect(join(root, 'test'), files);
if (filters.length > 0) files = files.filter((f) => filters.some((filter) => f.includes(filter)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
console.log(`running ${files.length} test files on Node ${process.version}`);
const result = spawnSync(
  process.execPath,
  // rivulet-source: `rivulet` and the connector packages resolve to their TypeScript sources (one copy of
  // every module, whether a test imports it by path or by package name).
  [
    '--conditions=rivulet-source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } },
);
process.exit(result.status ?? 1);
