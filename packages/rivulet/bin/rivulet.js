#!/usr/bin/env node
// Launcher for the `rivulet` command: runs the compiled CLI (dist/) when the package is built, else the
// TypeScript sources through tsx (a dev dependency of the workspace).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let cli;
if (existsSync(compiled)) {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await cli.runCli(process.argv);
