import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/index.ts';
import type { PipelineRunner } from '../../src/runtime/index.ts';
import { type Click, metricsPipeline } from '../runtime/fixtures/metrics-pipeline.ts';

/** The clicks the metrics server tests feed the metrics pipeline: `count` over 2 partitions. */
export function clicks(count: number): Click[] {
  return Array.from({ length: count }, (_, i) => ({ user: `u${i % 11}`, n: i }));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * An engine in a temp dir whose metrics pipeline has read `input` (clicks, partition n % 2) and stopped,
 * so its counters no longer move; cleaned up after `body`.
 */
export async function withStoppedRun(
  input: Click[],
  body: (engine: Engine, run: PipelineRunner) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-metrics-server-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('clicks', { partitions: 2 });
    for (let p = 0; p < 2; p++)
      await engine.log.append(
        'clicks',
        p,
        input
          .filter((c) => c.n % 2 === p)
          .map((c) => ({
            key: null,
            value: Buffer.from(JSON.stringify(c)),
            headers: undefined,
            timestamp: Date.now(),
          })),
      );
    const run = await engine.run(metricsPipeline(), { commitIntervalMs: 20 });
    await waitFor(() => run.status().lag === 0 && run.status().recordsIn > 0, 'the input to be read');
    await run.stop();
    await body(engine, run);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
