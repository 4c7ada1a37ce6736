/**
 * Disk full. Preferably a real ENOSPC: the child runs inside a private mount namespace on a 4 MiB tmpfs
 * (`unshare --mount` + `mount -t tmpfs -o size=4m`, we run as root) that also holds a 1 MiB filler file.
 * If that is unavailable it falls back to EFBIG from a file-size limit (`ulimit -f`) and says so; if
 * neither works it skips with the reason. The child appends from several producers until each one's send
 * fails. The parent checks against its model of acknowledged records:
 * - every failure is an EngineError LOG_DISK_FULL with retryable true (and the expected errno);
 * - no failed send is visible; the log holds exactly the acknowledged records, offsets dense from 0;
 * - after space is freed (ENOSPC: the child deletes the filler on the parent's command, same process;
 *   EFBIG: a fresh process without the limit) appends succeed again, the first one per partition right
 *   after the last acknowledged offset;
 * - after a restart (a separate process, inside the same namespace for tmpfs) verifyLog reports no
 *   problem, the log holds exactly the acknowledged records and accepts appends at the next offsets.
 * `RIVULET_SEED` replays a run; `RIVULET_DISK_FULL_MODE=efbig|enospc` forces a mode.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultSeed, SeededRandom } from '../seeded-random.ts';
import { FixtureProcess, fixturePath } from './fixture-process.ts';
import type { DiskFullConfig, DiskFullMessage, PartitionContents } from './fixtures/disk-full-child.ts';
import { recordValue } from './record-content.ts';

const FIXTURE = fixturePath('disk-full-child.ts');
const TMPFS_SIZE = '4m';
const FILLER_BYTES = 1024 * 1024;
/** EFBIG mode: `ulimit -f` in 512-byte blocks (1 MiB per file). */
const ULIMIT_BLOCKS = 2048;

type Mode = { kind: 'enospc' } | { kind: 'efbig'; why: string } | { kind: 'skip'; why: string };

function tmpfsUnavailable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-tmpfs-probe-'));
  try {
    const probe = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t tmpfs -o size=64k tmpfs "$1" && touch "$1/probe"',
        'sh',
        dir,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.error !== undefined) return `unshare failed: ${probe.error.message}`;
    if (probe.status !== 0) return `unshare/mount exited ${probe.status}: ${probe.stderr.trim()}`;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ulimitUnavailable(): string | undefined {
  const probe = spawnSync('sh', ['-c', `ulimit -f ${ULIMIT_BLOCKS}`], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error !== undefined) return `sh failed: ${probe.error.message}`;
  if (probe.status !== 0) return `ulimit -f exited ${probe.status}: ${probe.stderr.trim()}`;
  return undefined;
}

function chooseMode(): Mode {
  const forced = process.env.RIVULET_DISK_FULL_MODE;
  const noTmpfs = forced === 'efbig' ? 'RIVULET_DISK_FULL_MODE=efbig' : tmpfsUnavailable();
  if (noTmpfs === undefined) return { kind: 'enospc' };
  const noUlimit = ulimitUnavailable();
  if (noUlimit === undefined) return { kind: 'efbig', why: noTmpfs };
  return { kind: 'skip', why: `no ENOSPC (${noTmpfs}) and no EFBIG (${noUlimit})` };
}

/** The acknowledged records, per partition by offset, and the ids of failed sends. */
class AckModel {
  readonly acked: Array<Map<number, string>>;
  readonly failedIds = new Set<string>();
  readonly failures: Array<Extract<DiskFullMessage, { type: 'append-failed' }>> = [];
  /** Per partition, the offset the next ack must start at, once set by `expectNext`. */
  #expectedNext: Array<number | undefined>;
  ackCount = 0;
  /** Set when the fixture rolled every partition while the disk was full. */
  rolledWhileFull = false;

  constructor(partitions: number) {
    this.acked = Array.from({ length: partitions }, () => new Map());
    this.#expectedNext = Array.from({ length: partitions }, () => undefined);
  }

  ack(message: Extract<DiskFullMessage, { type: 'ack' }>): void {
    const where = `${message.phase} ack ${message.partition}@${message.baseOffset}..${message.lastOffset}`;
    assert.equal(
      message.lastOffset - message.baseOffset + 1,
      message.ids.length,
      `${where}: offset range and ids`,
    );
    const expected = this.#expectedNext[message.partition];
    if (expected !== undefined) {
      assert.equal(
        message.baseOffset,
        expected,
        `${where}: continues right after the last acknowledged offset`,
      );
      this.#expectedNext[message.partition] = undefined;
    }
    const acked = this.acked[message.partition]!;
    message.ids.forEach((id, i) => {
      const offset = message.baseOffset + i;
      assert.equal(acked.get(offset), undefined, `${where}: offset ${offset} acknowledged twice`);
      acked.set(offset, id);
    });
    this.ackCount += message.ids.length;
  }

  fail(message: Extract<DiskFullMessage, { type: 'append-failed' }>): void {
    this.failures.push(message);
    for (const id of message.ids) this.failedIds.add(id);
  }

  /** The next ack of every partition must start at its current high watermark in `contents`. */
  expectNext(contents: PartitionContents[]): void {
    for (const p of contents) this.#expectedNext[p.partition] = p.highWatermark;
  }

  /** The log holds exactly the acknowledged records with their exact content, offsets dense from 0. */
  check(contents: Extract<DiskFullMessage, { type: 'contents' }>): void {
    for (const p of contents.partitions) {
      const where = `${contents.phase}/${contents.label} partition ${p.partition}`;
      const acked = this.acked[p.partition]!;
      assert.equal(p.logStartOffset, 0, `${where}: log start offset`);
      for (const [offset, key] of p.records) {
        if (key !== null && this.failedIds.has(key))
          assert.fail(`${where}: ${key} of a failed send is visible at ${offset}`);
      }
      assert.deepEqual(
        p.records.map(([offset, key, value]) => [offset, key, value]),
        [...acked.keys()]
          .sort((a, b) => a - b)
          .map((offset) => {
            const id = acked.get(offset)!;
            return [offset, id, recordValue(id)];
          }),
        `${where}: exactly the acknowledged records`,
      );
      assert.deepEqual(
        p.records.map(([offset]) => offset),
        p.records.map((_, i) => i),
        `${where}: dense offsets from 0`,
      );
      assert.equal(p.highWatermark, p.records.length, `${where}: high watermark`);
    }
  }
}

/**
 * Takes the fixture's messages in order until the `contents` message labelled `label`, feeding acks and
 * failures to the model; `failuresAllowed` says whether a failed send is expected in this stretch.
 */
async function collectUntil(
  child: FixtureProcess<DiskFullMessage>,
  model: AckModel,
  label: string,
  failuresAllowed: boolean,
): Promise<Extract<DiskFullMessage, { type: 'contents' }>> {
  for (;;) {
    const message = await child.next();
    if (message.type === 'failed') assert.fail(`fixture ${message.phase} failed: ${message.message}`);
    if (message.type === 'ack') model.ack(message);
    else if (message.type === 'append-failed') {
      assert.ok(
        failuresAllowed,
        `${message.phase}: a send failed after space was freed: ${JSON.stringify(message.error)}`,
      );
      model.fail(message);
    } else if (message.type === 'rolled-while-full') {
      model.rolledWhileFull = true;
    } else if (message.type === 'contents') {
      assert.equal(message.label, label, `expected contents '${label}'`);
      model.check(message);
      return message;
    }
  }
}

async function expectDone(child: FixtureProcess<DiskFullMessage>, phase: string): Promise<void> {
  const done = await child.next();
  assert.equal(done.type, 'done', `${phase}: expected done, got ${JSON.stringify(done).slice(0, 500)}`);
}

/** The restart check: verifyLog, exact contents, appends at the next offsets, verifyLog after close. */
async function verifyPhase(child: FixtureProcess<DiskFullMessage>, model: AckModel): Promise<void> {
  const before = await child.next('verify');
  assert.equal(before.label, 'before-open');
  assert.deepEqual(before.problems, [], 'verifyLog after the disk-full run: no problem');
  await child.next('ready');
  const restart = await collectUntil(child, model, 'restart', false);
  model.expectNext(restart.partitions);
  await collectUntil(child, model, 'after-restart-append', false);
  const after = await child.next('verify');
  assert.equal(after.label, 'after-close');
  assert.deepEqual(after.problems, [], 'verifyLog after the restart: no problem');
  await expectDone(child, 'verify');
}

function checkFailures(model: AckModel, errno: string): void {
  assert.ok(model.failures.length > 0, 'the disk filled up: at least one send failed');
  for (const failure of model.failures) {
    assert.deepEqual(
      {
        isEngineError: failure.error.isEngineError,
        code: failure.error.code,
        retryable: failure.error.retryable,
        errno: failure.error.errno,
      },
      { isEngineError: true, code: 'LOG_DISK_FULL', retryable: true, errno },
      `failed send on partition ${failure.partition}: ${failure.error.message}`,
    );
  }
}

test('disk full: LOG_DISK_FULL, nothing torn or unacknowledged visible, appends resume after freeing space', {
  timeout: 180_000,
}, async (t) => {
  const seed = faultSeed('disk-full');
  const random = new SeededRandom(seed);
  const mode = chooseMode();
  if (mode.kind === 'skip') {
    console.log(`[disk-full] skipped: ${mode.why}`);
    t.skip(mode.why);
    return;
  }
  if (mode.kind === 'efbig')
    console.log(`[disk-full] ENOSPC via tmpfs unavailable (${mode.why}); using EFBIG via ulimit -f`);
  const root = mkdtempSync(join(tmpdir(), 'rivulet-disk-full-'));
  const config: DiskFullConfig = {
    dataDir: join(root, 'data'),
    fillerPath: mode.kind === 'enospc' ? join(root, 'filler') : undefined,
    fillerBytes: FILLER_BYTES,
    topic: 'events',
    partitions: 3,
    producers: 3,
    // ENOSPC: small segments, so rolls (and their sealing) run into the full disk too. EFBIG: one segment
    // per partition, larger than the file-size limit.
    segmentBytes: mode.kind === 'enospc' ? 16 * 1024 : 64 * 1024 * 1024,
    resumeSends: 10,
    seed: random.nextU32(),
  };
  const env = { RIVULET_DISK_FULL_CONFIG: JSON.stringify(config) };
  const model = new AckModel(config.partitions);
  const children: Array<FixtureProcess<DiskFullMessage>> = [];
  try {
    let afterFailure: Extract<DiskFullMessage, { type: 'contents' }>;
    if (mode.kind === 'enospc') {
      // Both node processes run inside one private mount namespace: the tmpfs (and the data) exist only there.
      const script = `mount -t tmpfs -o size=${TMPFS_SIZE} tmpfs "$1" || exit 97
"$2" --import tsx "$3" fill && "$2" --import tsx "$3" verify`;
      const child = FixtureProcess.command<DiskFullMessage>(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, process.execPath, FIXTURE],
        { env, detached: true },
      );
      children.push(child);
      await child.next('ready');
      afterFailure = await collectUntil(child, model, 'after-failure', true);
      checkFailures(model, 'ENOSPC');
      assert.ok(model.rolledWhileFull, 'the fixture rolled the partitions while the disk was full');
      for (let p = 0; p < config.partitions; p++) {
        assert.ok(
          model.failedIds.has(`full-after-roll.${p}`),
          `a send after the roll of partition ${p} failed`,
        );
      }
      const failuresBeforeFree = model.failures.length;
      model.expectNext(afterFailure.partitions);
      child.send({ type: 'free-space' });
      await child.next('space-freed');
      await collectUntil(child, model, 'after-free', false);
      assert.equal(model.failures.length, failuresBeforeFree);
      await expectDone(child, 'fill');
      await verifyPhase(child, model);
      const exit = await child.closed;
      assert.deepEqual(exit, { code: 0, signal: null }, child.describe());
    } else {
      const filler = FixtureProcess.command<DiskFullMessage>(
        'sh',
        [
          '-c',
          'ulimit -f "$1" && exec "$2" --import tsx "$3" fill',
          'sh',
          String(ULIMIT_BLOCKS),
          process.execPath,
          FIXTURE,
        ],
        { env },
      );
      children.push(filler);
      await filler.next('ready');
      afterFailure = await collectUntil(filler, model, 'after-failure', true);
      checkFailures(model, 'EFBIG');
      await expectDone(filler, 'fill');
      assert.deepEqual(await filler.closed, { code: 0, signal: null }, filler.describe());
      // The limit cannot be lifted inside a process: a fresh one without it plays "space freed".
      model.expectNext(afterFailure.partitions);
      const resumer = FixtureProcess.node<DiskFullMessage>(FIXTURE, ['resume'], { env });
      children.push(resumer);
      await resumer.next('ready');
      await collectUntil(resumer, model, 'after-free', false);
      await expectDone(resumer, 'resume');
      assert.deepEqual(await resumer.closed, { code: 0, signal: null }, resumer.describe());
      const verifier = FixtureProcess.node<DiskFullMessage>(FIXTURE, ['verify'], { env });
      children.push(verifier);
      await verifyPhase(verifier, model);
      assert.deepEqual(await verifier.closed, { code: 0, signal: null }, verifier.describe());
    }
    const ackedBeforeFull = afterFailure.partitions.reduce((n, p) => n + p.records.length, 0);
    const line = `${mode.kind === 'enospc' ? `ENOSPC (tmpfs ${TMPFS_SIZE} in a private mount namespace)` : `EFBIG (ulimit -f ${ULIMIT_BLOCKS} blocks; ${mode.why})`}: ${ackedBeforeFull} records acked before the disk was full, ${model.failures.length} failed sends (${model.failedIds.size} records) all LOG_DISK_FULL retryable and invisible, ${model.ackCount} acked in all, 0 lost after restart (seed ${seed})`;
    console.log(`[disk-full] ${line}`);
    t.diagnostic(line);
  } finally {
    for (const child of children) {
      child.killGroup();
      child.kill();
    }
    await Promise.all(children.map((c) => c.closed.catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
  }
});
