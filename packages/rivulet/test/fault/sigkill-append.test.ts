/**
 * SIGKILL during appends. A child (fixtures/append-until-killed.ts) appends from several concurrent
 * producers to several partitions of a topic with `fsync` durability and small segments (so segment rolls
 * and their background sealing happen during the run) and reports every acknowledgement over IPC. The
 * parent kills it with SIGKILL after a random 50-400 ms of appending, then reopens the same data
 * directory itself and compares what it reads with its reference model:
 * - every acknowledged record is readable at its acknowledged offset with its exact key and value;
 * - every record verified after an earlier kill is still there, unchanged, at the same offset;
 * - offsets are dense from 0 to the high watermark in every partition;
 * - no record id appears twice; unacknowledged records of the killed child may be present, once;
 * - verifyLog finds no error in the crashed directory and no problem at all after recovery.
 * `RIVULET_FAULT_CYCLES` sets the number of kills (default 50); `RIVULET_SEED` replays a run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLog, verifyLog } from '../../src/log/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';
import { FixtureProcess, fixturePath } from './fixture-process.ts';
import type { AppendChildConfig, AppendChildMessage } from './fixtures/append-until-killed.ts';
import { readPartition } from './log-reader.ts';
import { recordValue } from './record-content.ts';

const TOPIC = 'events';
const PARTITIONS = 4;
const PRODUCERS = 4;
const SEGMENT_BYTES = 16 * 1024;
const DEFAULT_CYCLES = 50;

function cycleCount(): number {
  const text = process.env.RIVULET_FAULT_CYCLES;
  if (text === undefined || text.trim() === '') return DEFAULT_CYCLES;
  const cycles = Number(text);
  if (!Number.isSafeInteger(cycles) || cycles < 1) {
    throw new Error(`RIVULET_FAULT_CYCLES must be a positive integer, got '${text}'`);
  }
  return cycles;
}

interface Totals {
  kills: number;
  acked: number;
  lost: number;
  duplicated: number;
  recoveredUnacked: number;
  /** Kills that left a sealed-to-be segment without its index (a roll's sealing was interrupted). */
  killsMidSeal: number;
  unsealedAfterRecovery: Set<string>;
}

type Ack = Extract<AppendChildMessage, { type: 'ack' }>;

/** Segments other than a partition's last one that have no `.index` file (not sealed), as `p/file`. */
function unsealedOlderSegments(dataDir: string): Set<string> {
  const unsealed = new Set<string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const files = readdirSync(join(dataDir, 'topics', TOPIC, String(p)));
    const logs = files.filter((f) => f.endsWith('.log')).sort();
    for (const f of logs.slice(0, -1))
      if (!files.includes(f.replace(/\.log$/, '.index'))) unsealed.add(`${p}/${f}`);
  }
  return unsealed;
}

/**
 * Checks the data directory after the kill of cycle `cycle` against `known`/`knownValues` (ids and values
 * per partition, indexed by offset, verified after earlier kills) and this cycle's acks; updates both to
 * what was read.
 * Returns the problems found (empty when the log is correct) and adds to `totals`.
 */
async function verifyCycle(
  dataDir: string,
  cycle: number,
  known: string[][],
  knownValues: string[][],
  acks: readonly Ack[],
  totals: Totals,
): Promise<string[]> {
  const problems: string[] = [];
  const crashed = verifyLog(dataDir);
  for (const p of crashed.problems) {
    if (p.severity === 'error') problems.push(`verifyLog on the crashed directory: ${p.message}`);
  }
  // A segment left unsealed by this kill (recovery itself may leave older ones unsealed).
  if ([...unsealedOlderSegments(dataDir)].some((s) => !totals.unsealedAfterRecovery.has(s)))
    totals.killsMidSeal++;

  const ackedAt: Array<Map<number, string>> = known.map(() => new Map());
  const ackedIds = new Set<string>();
  for (const ack of acks) {
    if (ack.duplicate) problems.push(`ack ${ack.partition}@${ack.baseOffset} is marked duplicate`);
    if (ack.lastOffset - ack.baseOffset + 1 !== ack.ids.length) {
      problems.push(
        `ack ${ack.partition}@${ack.baseOffset}..${ack.lastOffset} covers ${ack.ids.length} records`,
      );
    }
    ack.ids.forEach((id, i) => {
      const offset = ack.baseOffset + i;
      if (offset < known[ack.partition]!.length) {
        problems.push(`${id} acked at ${ack.partition}@${offset}, an offset verified before this cycle`);
      }
      if (ackedAt[ack.partition]!.has(offset)) problems.push(`two acks for ${ack.partition}@${offset}`);
      ackedAt[ack.partition]!.set(offset, id);
      ackedIds.add(id);
    });
    totals.acked += ack.ids.length;
  }

  const log = await createLog({
    dataDir,
    durability: 'fsync',
    segmentBytes: SEGMENT_BYTES,
    maintenanceInterval: false,
  });
  let lost = 0;
  let duplicated = 0;
  try {
    // Where each id was read, as partition * 2^32 + offset.
    const seen = new Map<string, number>();
    const at = (packed: number): string => `${Math.floor(packed / 2 ** 32)}@${packed % 2 ** 32}`;
    for (let p = 0; p < PARTITIONS; p++) {
      const read = await readPartition(log, TOPIC, p, 256 * 1024);
      if (read.logStartOffset !== 0) problems.push(`partition ${p} starts at ${read.logStartOffset}, not 0`);
      if (read.endOffset !== read.highWatermark || read.records.length !== read.highWatermark) {
        problems.push(
          `partition ${p}: read ${read.records.length} records up to ${read.endOffset}, high watermark ${read.highWatermark}`,
        );
      }
      const ids: string[] = [];
      const values: string[] = [];
      read.records.forEach((record, i) => {
        const here = p * 2 ** 32 + record.offset;
        if (record.offset !== i)
          problems.push(`partition ${p}: offset ${record.offset} at position ${i} (not dense)`);
        const id = record.key ?? '<null key>';
        ids.push(id);
        const previous = seen.get(id);
        if (previous !== undefined) {
          duplicated++;
          problems.push(`${id} appears twice: ${at(previous)} and ${at(here)}`);
        }
        seen.set(id, here);
        const before = known[p]![record.offset];
        // Values verified after an earlier kill are compared with what was read then (cheaper than
        // recomputing); everything else with the value its id determines.
        const expectedValue = before === id ? knownValues[p]![record.offset] : recordValue(id);
        if (record.value !== expectedValue) problems.push(`${id} at ${at(here)} has the wrong value`);
        values.push(record.value ?? '');
        const acked = ackedAt[p]!.get(record.offset);
        if (before !== undefined) {
          if (before !== id) problems.push(`${at(here)} held ${before} after an earlier kill, now ${id}`);
        } else if (acked !== undefined) {
          if (acked !== id) problems.push(`${at(here)} was acked as ${acked}, now holds ${id}`);
        } else if (ackedIds.has(id)) {
          problems.push(`${id} was acked at another offset, found at ${at(here)}`);
        } else if (!id.startsWith(`${cycle}.`)) {
          problems.push(`${id} at ${at(here)} is from an earlier cycle but was not there before`);
        } else totals.recoveredUnacked++;
      });
      for (const [offset, id] of ackedAt[p]!) {
        if (ids[offset] !== id) {
          lost++;
          if (lost <= 10)
            problems.push(`acked ${id} at ${p}@${offset} is lost (found ${ids[offset] ?? 'nothing'})`);
        }
      }
      known[p]!.forEach((id, offset) => {
        if (ids[offset] !== id) {
          lost++;
          if (lost <= 10) problems.push(`${id} at ${p}@${offset}, verified after an earlier kill, is lost`);
        }
      });
      known[p] = ids;
      knownValues[p] = values;
    }
  } finally {
    await log.close();
  }
  totals.lost += lost;
  totals.duplicated += duplicated;
  totals.unsealedAfterRecovery = unsealedOlderSegments(dataDir);
  const recovered = verifyLog(dataDir);
  for (const p of recovered.problems) problems.push(`verifyLog after recovery: ${p.severity} ${p.message}`);
  return problems.length > 40 ? [...problems.slice(0, 40), `... and ${problems.length - 40} more`] : problems;
}

function summary(totals: Totals): string {
  return `${totals.kills} kills: ${totals.lost} lost, ${totals.duplicated} duplicated, ${totals.acked} acked, ${totals.recoveredUnacked} recovered-unacked`;
}

test('SIGKILL during fsync appends loses no acknowledged record and duplicates none', {
  timeout: 600_000,
}, async (t) => {
  const seed = faultSeed('sigkill-append');
  const random = new SeededRandom(seed);
  const cycles = cycleCount();
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-sigkill-'));
  const known: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const knownValues: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const totals: Totals = {
    kills: 0,
    acked: 0,
    lost: 0,
    duplicated: 0,
    recoveredUnacked: 0,
    killsMidSeal: 0,
    unsealedAfterRecovery: new Set(),
  };
  const timing = { startup: 0, verify: 0 };
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const config: AppendChildConfig = {
        dataDir,
        topic: TOPIC,
        seed: random.nextU32(),
        cycle,
        partitions: PARTITIONS,
        producers: PRODUCERS,
        segmentBytes: SEGMENT_BYTES,
      };
      const killAfterMs = random.between(50, 400);
      const child = FixtureProcess.node<AppendChildMessage>(fixturePath('append-until-killed.ts'), [
        JSON.stringify(config),
      ]);
      let timer: NodeJS.Timeout | undefined;
      try {
        const t0 = performance.now();
        const ready = await child.next('ready');
        timing.startup += performance.now() - t0;
        assert.deepEqual(
          ready.highWatermarks,
          known.map((ids) => ids.length),
          `cycle ${cycle}: the child opened the log at the verified high watermarks (seed ${seed})`,
        );
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await child.closed;
      } finally {
        clearTimeout(timer);
        child.kill('SIGKILL');
        await child.closed;
      }
      const exit = await child.closed;
      const failed = child.received.find((m) => m.type === 'failed');
      assert.equal(failed, undefined, `cycle ${cycle}: the child failed (seed ${seed})\n${child.describe()}`);
      assert.equal(
        exit.signal,
        'SIGKILL',
        `cycle ${cycle}: the child was not killed (seed ${seed})\n${child.describe()}`,
      );
      totals.kills++;
      const acks = child.received.filter((m): m is Ack => m.type === 'ack');
      const t1 = performance.now();
      const problems = await verifyCycle(dataDir, cycle, known, knownValues, acks, totals);
      timing.verify += performance.now() - t1;
      assert.deepEqual(
        problems,
        [],
        `cycle ${cycle} (killed after ${killAfterMs} ms, ${acks.length} acks; seed ${seed}): ${summary(totals)}`,
      );
    }
    const log = await createLog({ dataDir, segmentBytes: SEGMENT_BYTES, maintenanceInterval: false });
    let segments = 0;
    try {
      for (const p of log.describeTopic(TOPIC).partitions) segments += p.segments;
    } finally {
      await log.close();
    }
    const line = `${summary(totals)} (${known.reduce((n, ids) => n + ids.length, 0)} records in ${segments} segments over ${PARTITIONS} partitions; ${totals.killsMidSeal} kills interrupted a segment seal; child start ${Math.round(timing.startup / cycles)} ms and check ${Math.round(timing.verify / cycles)} ms per cycle on average; seed ${seed})`;
    console.log(`[sigkill-append] ${line}`);
    t.diagnostic(line);
    assert.ok(segments > PARTITIONS * 2, `segment rolls happened during the run (${segments} segments)`);
    assert.ok(totals.acked > 0, 'the children acknowledged records');
    assert.equal(totals.lost, 0);
    assert.equal(totals.duplicated, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
