/**
 * `rivulet produce` and `rivulet consume` end to end, through child processes. References: the model
 * layer's partitionForKey (Kafka's murmur2 partitioner) for placement, and the generated input itself
 * for content, order per key and the bad-line policy.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { partitionForKey } from '../../src/model/index.ts';
import { type CaseRegistrar, collect, jsonLines, prng, runCli, startCli, tempDir } from './cli-harness.ts';

interface Out {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

interface Input {
  key: string;
  value: Record<string, unknown>;
  line: string;
}

/** `count` keyed JSON lines; keys repeat, some are numbers, some non-ASCII; some lines have extra spaces or CRLF. */
function generate(count: number, seed: number, firstSeq = 0): Input[] {
  const rand = prng(seed);
  const inputs: Input[] = [];
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rand() * 40);
    const id: string | number = k % 7 === 0 ? 1000 + k : k % 5 === 0 ? `clé-${k}-ü` : `k${k}`;
    const value = {
      id,
      seq: firstSeq + i,
      text: `line ${i} "quoted" \\ tab\t ${rand().toString(36)}`,
      nested: { list: [1, 2.5, null, { deep: i % 2 === 0 }] },
    };
    const json = JSON.stringify(value);
    const line = i % 3 === 0 ? `  ${json.replace('"seq":', '"seq" : ')}  ` : i % 3 === 1 ? `${json}\r` : json;
    inputs.push({ key: String(id), value, line });
  }
  return inputs;
}

function input(inputs: readonly Input[]): string {
  return `${inputs.map((i) => i.line).join('\n')}\n`;
}

function sortedValues(values: readonly unknown[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}

/** Per partition, the number of inputs the reference partitioner sends there. */
function referenceCounts(inputs: readonly Input[], partitions: number): number[] {
  const counts = new Array<number>(partitions).fill(0);
  for (const i of inputs) counts[partitionForKey(Buffer.from(i.key, 'utf8'), partitions)]!++;
  return counts;
}

function summary(topic: string, counts: readonly number[]): string {
  const total = counts.reduce((a, b) => a + b, 0);
  const parts = counts.flatMap((n, p) => (n > 0 ? [`partition ${p}: ${n}`] : []));
  return `appended ${total} records to ${topic} (${parts.join(', ')})`;
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

/** Registers the cases with `it` (cli.test.ts runs every case file's cases concurrently). */
export function produceConsumeCases(it: CaseRegistrar): void {
  it('round-trips keyed JSON lines; --partition/--offset/--max/--from-time select exactly', async () => {
    const dir = tempDir('roundtrip');
    try {
      const d = ['--data-dir', dir.path];
      const partitions = 4;
      const created = await runCli(['topics', 'create', 'rt', '--partitions', String(partitions), ...d]);
      assert.equal(created.code, 0, created.stderr);

      const inputs = generate(600, 1);
      const produced = await runCli(['produce', 'rt', '--key', 'id', ...d], { input: input(inputs) });
      const afterFirst = Date.now() + 1;
      assert.equal(produced.code, 0, produced.stderr);
      assert.equal(produced.stderr.trim(), summary('rt', referenceCounts(inputs, partitions)));

      const consumed = await runCli(['consume', 'rt', '--from-beginning', ...d]);
      assert.equal(consumed.code, 0, consumed.stderr);
      const out = jsonLines<Out>(consumed.stdout);
      assert.equal(out.length, inputs.length);
      assert.deepEqual(sortedValues(out.map((o) => o.value)), sortedValues(inputs.map((i) => i.value)));
      const seqsByKey = new Map<string, number[]>();
      const offsetsByPartition = new Map<number, number[]>();
      for (const o of out) {
        const value = o.value as { id: string | number; seq: number };
        assert.equal(o.topic, 'rt');
        assert.equal(o.key, String(value.id));
        assert.equal(o.partition, partitionForKey(Buffer.from(o.key!, 'utf8'), partitions), `key ${o.key}`);
        assert.deepEqual(o.headers, {});
        assert.ok(Number.isSafeInteger(o.timestamp) && o.timestamp < afterFirst);
        seqsByKey.set(o.key!, [...(seqsByKey.get(o.key!) ?? []), value.seq]);
        offsetsByPartition.set(o.partition, [...(offsetsByPartition.get(o.partition) ?? []), o.offset]);
      }
      for (const [key, seqs] of seqsByKey) {
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `order of key ${key}`,
        );
      }
      const counts = referenceCounts(inputs, partitions);
      for (let p = 0; p < partitions; p++) {
        assert.deepEqual(
          offsetsByPartition.get(p) ?? [],
          [...Array(counts[p]).keys()],
          `offsets of partition ${p}`,
        );
      }

      const slice = await runCli(['consume', 'rt', '--partition', '2', '--offset', '5', '--max', '3', ...d]);
      assert.equal(slice.code, 0, slice.stderr);
      const expected = out.filter((o) => o.partition === 2 && o.offset >= 5 && o.offset < 8);
      assert.equal(expected.length, 3);
      assert.deepEqual(jsonLines<Out>(slice.stdout), expected);

      const past = await runCli(['consume', 'rt', '--offset', '100000', ...d]);
      assert.equal(past.code, 1);
      assert.match(past.stderr, /^error OFFSET_OUT_OF_RANGE: .*100000/);
      assert.match(past.stderr, /\nhint: .*rivulet topics describe rt/);
      assertNoStack(past.stderr);

      const later = generate(25, 2, 10_000);
      const producedLater = await runCli(['produce', 'rt', '--key', 'id', ...d], { input: input(later) });
      assert.equal(producedLater.code, 0, producedLater.stderr);
      // Epoch-ms input goes through the same parser (see cli-units.test.ts); the ISO form is checked here.
      const byTime = await runCli(['consume', 'rt', '--from-time', new Date(afterFirst).toISOString(), ...d]);
      assert.equal(byTime.code, 0, byTime.stderr);
      const got = jsonLines<Out>(byTime.stdout);
      assert.deepEqual(sortedValues(got.map((o) => o.value)), sortedValues(later.map((i) => i.value)));
    } finally {
      dir.remove();
    }
  });

  it('--group starts at committed offsets and commits exactly what it printed', async () => {
    const dir = tempDir('group');
    try {
      const d = ['--data-dir', dir.path];
      assert.equal((await runCli(['topics', 'create', 'g', '--partitions', '3', ...d])).code, 0);
      const first = generate(10, 3);
      assert.equal((await runCli(['produce', 'g', '--key', 'id', ...d], { input: input(first) })).code, 0);

      const a1 = await runCli(['consume', 'g', '--group', 'a', '--from-beginning', ...d]);
      assert.equal(a1.code, 0, a1.stderr);
      assert.deepEqual(
        sortedValues(jsonLines<Out>(a1.stdout).map((o) => o.value)),
        sortedValues(first.map((i) => i.value)),
      );

      const b1 = await runCli(['consume', 'g', '--group', 'b', '--from-beginning', '--max', '4', ...d]);
      assert.equal(b1.code, 0, b1.stderr);
      const bFirst = jsonLines<Out>(b1.stdout);
      assert.equal(bFirst.length, 4);

      const second = generate(5, 4, 100);
      assert.equal((await runCli(['produce', 'g', '--key', 'id', ...d], { input: input(second) })).code, 0);

      const a2 = await runCli(['consume', 'g', '--group', 'a', ...d]);
      assert.equal(a2.code, 0, a2.stderr);
      assert.deepEqual(
        sortedValues(jsonLines<Out>(a2.stdout).map((o) => o.value)),
        sortedValues(second.map((i) => i.value)),
      );

      const b2 = await runCli(['consume', 'g', '--group', 'b', '--from-beginning', ...d]);
      assert.equal(b2.code, 0, b2.stderr);
      const printedBefore = new Set(bFirst.map((o) => JSON.stringify(o.value)));
      const rest = [...first, ...second]
        .map((i) => i.value)
        .filter((v) => !printedBefore.has(JSON.stringify(v)));
      assert.equal(rest.length, 11);
      assert.deepEqual(sortedValues(jsonLines<Out>(b2.stdout).map((o) => o.value)), sortedValues(rest));
    } finally {
      dir.remove();
    }
  });

  it('reports bad lines by number and code; default skips them, --all-or-nothing appends nothing', async () => {
    const dir = tempDir('badlines');
    try {
      const d = ['--data-dir', dir.path];
      const big = 'x'.repeat(1024 * 1024 + 10);
      const lines = [
        '{"id":"a","v":1}',
        'not json',
        '',
        '{"v":2}',
        '{"id":"b","v":3}\r',
        '{"id":"a","v":4',
        '[1,2]',
        '{"id":{"x":1}}',
        `{"id":"c","big":"${big}"}`,
        '{"id":7,"v":5}',
        '{"id":"a","v":6}',
      ];
      const streaming = await runCli(['produce', 'bad', '--create', '--key', 'id', ...d], {
        input: lines.join('\n'), // no newline after the last line
      });
      assert.equal(streaming.code, 1);
      const reported = [...streaming.stderr.matchAll(/^line (\d+): ([A-Z_]+): /gm)].map((m) => [
        Number(m[1]),
        m[2],
      ]);
      assert.deepEqual(reported, [
        [2, 'INVALID_JSON'],
        [4, 'INVALID_RECORD'],
        [6, 'INVALID_JSON'],
        [7, 'INVALID_RECORD'],
        [8, 'INVALID_RECORD'],
        [9, 'RECORD_TOO_LARGE'],
      ]);
      assert.match(streaming.stderr, /^appended 4 records to bad \(partition 0: 4\)$/m);
      assert.match(streaming.stderr, /^6 bad lines skipped$/m);

      const rejected = await runCli(['produce', 'bad', '--key', 'id', '--all-or-nothing', ...d], {
        input: '{"id":"r","v":100}\n{"id":"r","v":101}\n{"id":"r"\n{"id":"r","v":102}\n',
      });
      assert.equal(rejected.code, 1);
      assert.deepEqual(
        [...rejected.stderr.matchAll(/^line (\d+): ([A-Z_]+): /gm)].map((m) => [Number(m[1]), m[2]]),
        [[3, 'INVALID_JSON']],
      );
      assert.match(rejected.stderr, /nothing appended/);

      const accepted = await runCli(['produce', 'bad', '--key', 'id', '--all-or-nothing', ...d], {
        input: '{"id":"a","v":200}\n\n{"id":"z","v":201}\n',
      });
      assert.equal(accepted.code, 0, accepted.stderr);

      const all = await runCli(['consume', 'bad', '--from-beginning', ...d]);
      assert.equal(all.code, 0, all.stderr);
      const out = jsonLines<Out>(all.stdout);
      assert.deepEqual(
        out.map((o) => [o.offset, o.key, o.value]),
        [
          [0, 'a', { id: 'a', v: 1 }],
          [1, 'b', { id: 'b', v: 3 }],
          [2, '7', { id: 7, v: 5 }],
          [3, 'a', { id: 'a', v: 6 }],
          [4, 'a', { id: 'a', v: 200 }],
          [5, 'z', { id: 'z', v: 201 }],
        ],
      );
    } finally {
      dir.remove();
    }
  });

  it('--follow prints records another process appends, then exits 0 on SIGTERM having committed', async () => {
    const dir = tempDir('follow');
    let child: ChildProcess | undefined;
    try {
      const d = ['--data-dir', dir.path];
      const seed = await runCli(['produce', 'f', '--create', ...d], { input: '{"n":1}\n{"n":2}\n' });
      assert.equal(seed.code, 0, seed.stderr);
      const follower = startCli([
        'consume',
        'f',
        '--follow',
        '--group',
        'gf',
        '--from-beginning',
        '--poll-interval',
        '50ms',
        ...d,
      ]);
      child = follower;
      const done = collect(follower);
      let seen = '';
      const waiters: Array<() => void> = [];
      follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        seen += chunk;
        for (const wake of waiters.splice(0)) wake();
      });
      const waitForLines = async (count: number): Promise<void> => {
        const deadline = Date.now() + 60_000;
        while (seen.split('\n').length - 1 < count) {
          assert.ok(Date.now() < deadline, `timed out waiting for ${count} lines: ${seen}`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      };
      await waitForLines(2);
      const more = await runCli(['produce', 'f', '--lock-wait', '60s', ...d], {
        input: '{"n":3}\n{"n":4}\n{"n":5}\n',
      });
      assert.equal(more.code, 0, more.stderr);
      await waitForLines(5);
      follower.kill('SIGTERM');
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        jsonLines<Out>(result.stdout).map((o) => o.value),
        [1, 2, 3, 4, 5].map((n) => ({ n })),
      );
      const again = await runCli(['consume', 'f', '--group', 'gf', '--from-beginning', ...d]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, '');
    } finally {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });
}
