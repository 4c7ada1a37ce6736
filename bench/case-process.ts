import { spawn } from 'node:child_process';

/**
 * Runs one benchmark case in a fresh `node --expose-gc --import tsx <script> '<request JSON>'` child (so its peak RSS
 * and heap are its own) and returns the JSON outcome it prints as its last stdout line. Rejects with the
 * child's stderr when it exits non-zero or prints nothing.
 */
export function runCaseProcess<Request, Outcome>(script: string, request: Request): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, JSON.stringify(request)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`case ${JSON.stringify(request)} failed (exit ${code}):\n${stderr.trim()}`));
        return;
      }
      resolve(JSON.parse(line) as Outcome);
    });
  });
}
