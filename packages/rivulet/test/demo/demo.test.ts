/**
 * `rivulet demo --no-ui` end to end, as a child process (cli-harness.ts): 200,000 generated visits with
 * a random seed (printed; RIVULET_SEED=<seed> replays it). Its summary must equal a plain loop over the
 * same visits (the generator called here with that seed), written from the rules of docs/windows.md and
 * sharing no engine code:
 * - watermark: per partition the largest event time so far, minus the 1 minute out-of-order bound, the
 *   minimum over both partitions. A record joins each of its hopping windows (30 min every minute) that
 *   is still open, i.e. whose end + 2 minutes of allowed lateness is above the watermark as of the
 *   records before it; with none open it is late. (The engine judges against a watermark from before
 *   its batch, which is never ahead of this one: the generator keeps every visit either within the
 *   bound or hours late, so both rules agree.)
 * - the run ends with the watermark of all visits: the windows with end + 2 min <= that watermark and at
 *   least one record are emitted, in end order; the rest stay open.
 * - alerts: over those windows' distinct visitor counts in end order, one per crossing of the threshold
 *   (starting below; up at count >= threshold, down when it falls under again).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { VisitGenerator } from '../../src/demo/index.ts';
import { runCli } from '../cli/cli-harness.ts';

const EVENTS = 200_000;
const THRESHOLD = 6_000;
const MINUTE = 60_000;
const SIZE = 30 * MINUTE;
const BOUND = MINUTE;
const LATENESS = 2 * MINUTE;

interface Alert {
  direction: 'up' | 'down';
  value: number;
  windowEnd: number;
}

interface Reference {
  windows: number;
  alerts: Alert[];
  late: number;
}

function reference(seed: number): Reference {
  const generator = new VisitGenerator({ seed });
  const maxTs = new Map<number, number>();
  let watermark = Number.NEGATIVE_INFINITY;
  const windows = new Map<number, Set<string>>(); // by window end
  let late = 0;
  for (let i = 0; i < EVENTS; i++) {
    const { partition, visit } = generator.next();
    let joined = false;
    const lastStart = visit.ts - (visit.ts % MINUTE);
    for (let start = lastStart - SIZE + MINUTE; start <= lastStart; start += MINUTE) {
      const end = start + SIZE;
      if (end + LATENESS <= watermark) continue; // closed
      joined = true;
      let visitors = windows.get(end);
      if (visitors === undefined) {
        visitors = new Set();
        windows.set(end, visitors);
      }
      visitors.add(visit.visitorId);
    }
    if (!joined) late++;
    maxTs.set(partition, Math.max(maxTs.get(partition) ?? Number.NEGATIVE_INFINITY, visit.ts));
    watermark = maxTs.size < 2 ? Number.NEGATIVE_INFINITY : Math.min(...maxTs.values()) - BOUND;
  }
  const closed = [...windows.keys()].filter((end) => end + LATENESS <= watermark).sort((a, b) => a - b);
  const alerts: Alert[] = [];
  let above = false;
  for (const end of closed) {
    const count = windows.get(end)!.size;
    if (count >= THRESHOLD !== above) {
      above = count >= THRESHOLD;
      alerts.push({ direction: above ? 'up' : 'down', value: count, windowEnd: end });
    }
  }
  return { windows: closed.length, alerts, late };
}

test('rivulet demo --no-ui: 200,000 visits, its windows, alerts and late visits equal a plain loop', {
  timeout: 180_000,
}, async () => {
  const seed =
    process.env.RIVULET_SEED === undefined ? randomInt(0, 2 ** 32) : Number(process.env.RIVULET_SEED);
  console.log(`[demo] seed ${seed} (replay: RIVULET_SEED=${seed})`);
  const started = performance.now();
  const result = await runCli([
    'demo',
    '--events',
    String(EVENTS),
    '--no-ui',
    '--json',
    '--seed',
    String(seed),
    '--threshold',
    String(THRESHOLD),
  ]);
  const wallMs = performance.now() - started;
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as {
    seed: number;
    events: number;
    windows: number;
    alerts: { up: number; down: number; list: Alert[] };
    lateRecords: number;
    elapsedMs: number;
    eventsPerSecond: number;
  };
  const expected = reference(seed);
  assert.equal(summary.seed, seed);
  assert.equal(summary.events, EVENTS);
  assert.ok(
    expected.alerts.length >= 4,
    `the traffic should cross the threshold several times: ${expected.alerts.length}`,
  );
  assert.ok(expected.late > 0, 'the generator should make some late visits');
  assert.deepEqual(summary.alerts.list, expected.alerts);
  assert.equal(summary.alerts.up, expected.alerts.filter((a) => a.direction === 'up').length);
  assert.equal(summary.alerts.down, expected.alerts.filter((a) => a.direction === 'down').length);
  assert.equal(summary.windows, expected.windows);
  assert.equal(summary.lateRecords, expected.late);
  assert.ok(result.stderr.includes(`${EVENTS} of ${EVENTS} visits produced (100%)`), result.stderr);
  console.log(
    `[demo] ${EVENTS} visits: ${summary.windows} windows, ${summary.alerts.list.length} alerts, ${summary.lateRecords} late = reference; ` +
      `demo ${summary.elapsedMs} ms (${summary.eventsPerSecond} visits/s), child process ${Math.round(wallMs)} ms`,
  );
});
