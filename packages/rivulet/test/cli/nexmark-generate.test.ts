/**
 * `rivulet nexmark generate` end to end, through child processes (cli-harness.ts). References: the
 * generator itself (`new NexmarkGenerator(options, split)`, one split at a time) for content and
 * per-split order, a plain sort by (dateTime, split) for the order of files, `rivulet consume` and the
 * log read in process for topics, and DuckDB reading the Parquet file back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgumentError } from 'commander';
import { parseBaseTime, parseOutFile, parseRate, parseSeed } from '../../src/cli/nexmark-generate-command.ts';
import { createLog } from '../../src/log/index.ts';
import {
  type NexmarkConfig,
  type NexmarkEvent,
  NexmarkGenerator,
  nexmarkBinarySerde,
} from '../../src/nexmark/index.ts';
import { jsonLines, runCli, tempDir } from './cli-harness.ts';

interface Out {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

/** Every event of one split, straight from the generator. */
function splitEvents(options: Partial<NexmarkConfig>, split: number): NexmarkEvent[] {
  const generator = new NexmarkGenerator(options, split);
  const events: NexmarkEvent[] = [];
  while (generator.hasNext()) events.push(generator.next());
  return events;
}

/** All splits' events sorted by (dateTime, split, position in the split). */
function mergedReference(options: Partial<NexmarkConfig>): NexmarkEvent[] {
  const tagged: Array<{ event: NexmarkEvent; split: number; index: number }> = [];
  for (let split = 0; split < (options.splits ?? 1); split++)
    splitEvents(options, split).forEach((event, index) => {
      tagged.push({ event, split, index });
    });
  tagged.sort((a, b) => a.event.dateTime - b.event.dateTime || a.split - b.split || a.index - b.index);
  return tagged.map((t) => t.event);
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

const COLUMNS = [
  'type',
  'id',
  'name',
  'emailAddress',
  'creditCard',
  'city',
  'state',
  'itemName',
  'description',
  'initialBid',
  'reserve',
  'expires',
  'seller',
  'category',
  'auction',
  'bidder',
  'price',
  'channel',
  'url',
  'dateTime',
  'extra',
];

/** An event as a Parquet row: every column, null where the event has no such field. */
function asRow(event: NexmarkEvent): Record<string, unknown> {
  const fields = event as unknown as Record<string, unknown>;
  return Object.fromEntries(COLUMNS.map((c) => [c, fields[c] ?? null]));
}

describe('rivulet nexmark generate', { concurrency: 4 }, () => {
  it('--to appends split k to partition k as JSON, timestamped by dateTime; a wrong partition count fails', async () => {
    const dir = tempDir('nexmark-json');
    try {
      const d = ['--data-dir', dir.path];
      const options = { events: 3001, splits: 3, seed: 11, rate: 5000 };
      const args = ['--events', '3001', '--splits', '3', '--seed', '11', '--rate', '5000'];
      const generated = await runCli(['nexmark', 'generate', ...args, '--to', 'nx', ...d]);
      assert.equal(generated.code, 0, generated.stderr);
      assert.match(
        generated.stderr,
        /(^|\n)generated 3001 events \(seed 11, 3 splits\) to topic nx \(json; partition 0: 1000, partition 1: 1000, partition 2: 1001\): [\d.]+ MB in [\d.]+ s, \d+ events\/s\n$/,
      );

      const described = await runCli(['topics', 'describe', 'nx', '--json', ...d]);
      assert.equal(described.code, 0, described.stderr);
      const description = JSON.parse(described.stdout) as {
        config: { partitions: number; durability: string };
      };
      assert.equal(description.config.partitions, 3);
      assert.equal(description.config.durability, 'fsync');

      const consumed = await runCli(['consume', 'nx', '--from-beginning', ...d]);
      assert.equal(consumed.code, 0, consumed.stderr);
      const out = jsonLines<Out>(consumed.stdout);
      assert.equal(out.length, 3001);
      for (let split = 0; split < 3; split++) {
        const records = out.filter((o) => o.partition === split);
        const expected = splitEvents(options, split);
        assert.deepEqual(
          records.map((r) => r.offset),
          expected.map((_, i) => i),
        );
        assert.deepEqual(
          records.map((r) => r.value),
          expected,
          `partition ${split}`,
        );
        assert.deepEqual(
          records.map((r) => r.timestamp),
          expected.map((e) => e.dateTime),
        );
        assert.ok(records.every((r) => r.key === null));
      }

      const mismatch = await runCli([
        'nexmark',
        'generate',
        '--events',
        '10',
        '--splits',
        '2',
        '--to',
        'nx',
        ...d,
      ]);
      assert.equal(mismatch.code, 1);
      assert.match(
        mismatch.stderr,
        /^error INVALID_ARGUMENT: topic 'nx' has 3 partitions, but --splits is 2/,
      );
      assert.match(mismatch.stderr, /\nhint: use --splits 3, or another topic/);
      assertNoStack(mismatch.stderr);

      const internal = await runCli(['nexmark', 'generate', '--events', '10', '--to', '__x', ...d]);
      assert.equal(internal.code, 1);
      assert.match(internal.stderr, /^error INVALID_TOPIC_NAME: /);
    } finally {
      dir.remove();
    }
  });

  it('--to --format binary writes nexmarkBinarySerde values; appends to a topic with as many partitions', async () => {
    const dir = tempDir('nexmark-binary');
    try {
      const d = ['--data-dir', dir.path];
      const created = await runCli(['topics', 'create', 'nb', '--partitions', '2', ...d]);
      assert.equal(created.code, 0, created.stderr);
      const options = { events: 5000, splits: 2, seed: 4 };
      const args = ['--events', '5000', '--splits', '2', '--seed', '4', '--to', 'nb', '--format', 'binary'];
      const generated = await runCli(['nexmark', 'generate', ...args, '--json', ...d]);
      assert.equal(generated.code, 0, generated.stderr);
      const summary = JSON.parse(generated.stdout) as Record<string, unknown>;
      const expected = [splitEvents(options, 0), splitEvents(options, 1)];
      const valueBytes = expected.flat().reduce((sum, e) => sum + nexmarkBinarySerde.encode(e).length, 0);
      assert.deepEqual(
        { ...summary, seconds: 0, eventsPerSecond: 0 },
        {
          events: 5000,
          splits: 2,
          seed: 4,
          rate: 10_000,
          baseTime: 1_735_689_600_000,
          to: 'nb',
          format: 'binary',
          partitions: [2500, 2500],
          bytes: valueBytes,
          seconds: 0,
          eventsPerSecond: 0,
        },
      );

      const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
      try {
        for (let partition = 0; partition < 2; partition++) {
          const events: NexmarkEvent[] = [];
          const timestamps: number[] = [];
          let offset = 0;
          while (offset < log.partition('nb', partition).highWatermark) {
            const fetched = await log.fetch('nb', partition, offset);
            for (const record of fetched.records) {
              assert.equal(record.key, null);
              events.push(nexmarkBinarySerde.decode(record.value!));
              timestamps.push(record.timestamp);
            }
            offset = fetched.nextOffset;
          }
          assert.deepEqual(events, expected[partition], `partition ${partition}`);
          assert.deepEqual(
            timestamps,
            expected[partition]!.map((e) => e.dateTime),
          );
        }
      } finally {
        await log.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('--out FILE.jsonl: the splits merged by dateTime; same arguments, same bytes', async () => {
    const dir = tempDir('nexmark-jsonl');
    try {
      const file = (name: string): string => join(dir.path, name);
      const args = ['nexmark', 'generate', '--events', '6000', '--splits', '3', '--rate', '20000'];
      const [a, b, c, defaults] = await Promise.all([
        runCli([...args, '--out', file('a.jsonl')]),
        runCli([...args, '--out', file('b.jsonl')]),
        runCli([...args, '--seed', '2', '--out', file('c.jsonl')]),
        runCli(['nexmark', 'generate', '--events', '500', '--out', file('d.jsonl')]),
      ]);
      for (const r of [a, b, c, defaults]) assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(file('a.jsonl'), 'utf8');
      assert.ok(text.endsWith('}\n'));
      assert.deepEqual(
        jsonLines<NexmarkEvent>(text),
        mergedReference({ events: 6000, splits: 3, rate: 20_000 }),
      );
      // The lines are the events as they are: JSON.stringify of the generator's objects.
      const first = new NexmarkGenerator({ events: 6000, splits: 3, rate: 20_000 }, 0).next();
      assert.equal(text.slice(0, text.indexOf('\n')), JSON.stringify(first));
      assert.match(a.stderr, new RegExp(`to ${file('a.jsonl')}: ${(text.length / 1e6).toFixed(1)} MB`));
      assert.ok(readFileSync(file('b.jsonl')).equals(readFileSync(file('a.jsonl'))), 'same seed, same bytes');
      assert.ok(!readFileSync(file('c.jsonl')).equals(readFileSync(file('a.jsonl'))), 'another seed');
      // Defaults: seed 1, rate 10000, one split, the generator's default base time.
      assert.deepEqual(jsonLines(readFileSync(file('d.jsonl'), 'utf8')), splitEvents({ events: 500 }, 0));

      const based = await runCli([
        'nexmark',
        'generate',
        '--events',
        '20',
        '--seed',
        '-3',
        '--rate',
        '2.5',
        '--base-time',
        '2024-05-01T00:00:00Z',
        '--out',
        file('e.jsonl'),
      ]);
      assert.equal(based.code, 0, based.stderr);
      assert.deepEqual(
        jsonLines(readFileSync(file('e.jsonl'), 'utf8')),
        splitEvents({ events: 20, seed: -3, rate: 2.5, baseTime: Date.parse('2024-05-01T00:00:00Z') }, 0),
      );
    } finally {
      dir.remove();
    }
  });

  it('--out FILE.parquet: DuckDB reads back the generator events; same arguments, same bytes', async () => {
    const dir = tempDir('nexmark-parquet');
    try {
      const file = (name: string): string => join(dir.path, name);
      const args = ['nexmark', 'generate', '--events', '8000', '--splits', '2', '--seed', '5'];
      const [a, b, c] = await Promise.all([
        runCli([...args, '--out', file('a.parquet')]),
        runCli([...args, '--out', file('b.parquet')]),
        runCli([...args.slice(0, -1), '6', '--out', file('c.parquet')]),
      ]);
      for (const r of [a, b, c]) assert.equal(r.code, 0, r.stderr);
      assert.ok(
        readFileSync(file('b.parquet')).equals(readFileSync(file('a.parquet'))),
        'same seed, same bytes',
      );
      assert.ok(!readFileSync(file('c.parquet')).equals(readFileSync(file('a.parquet'))), 'another seed');

      const expected = mergedReference({ events: 8000, splits: 2, seed: 5 });
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        const path = file('a.parquet');
        const schema = await connection.runAndReadAll(
          `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`,
        );
        assert.deepEqual(
          schema.getRows().map(([name]) => name),
          COLUMNS,
        );
        assert.ok(schema.getRows().every(([, type]) => type === 'BIGINT' || type === 'VARCHAR'));

        const totals = await connection.runAndReadAll(
          `SELECT count(*), sum(price), count(*) FILTER (WHERE type = 'bid') FROM read_parquet('${path}')`,
        );
        const bids = expected.filter((e) => e.type === 'bid');
        assert.deepEqual(
          totals.getRows()[0]!.map((v) => Number(v)),
          [8000, bids.reduce((sum, e) => sum + e.price, 0), bids.length],
        );

        // A few whole rows, by position in the file: the first, last, and first person, auction and bid.
        const positions = new Set([0, 7999, 3141]);
        for (const type of ['person', 'auction', 'bid'])
          positions.add(expected.findIndex((e) => e.type === type));
        const rows = await connection.runAndReadAll(
          `SELECT * FROM (SELECT row_number() OVER () - 1 AS position, * FROM read_parquet('${path}'))
           WHERE position IN (${[...positions].join(', ')}) ORDER BY position`,
        );
        const got = rows.getRowObjectsJS().map((row) => {
          const { position: _position, ...rest } = row;
          return Object.fromEntries(
            Object.entries(rest).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
          );
        });
        assert.deepEqual(
          got,
          [...positions].sort((x, y) => x - y).map((p) => asRow(expected[p]!)),
        );
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    } finally {
      dir.remove();
    }
  });

  it('fails with MISSING_DEPENDENCY and a hint when @duckdb/node-api cannot be loaded', async () => {
    const dir = tempDir('nexmark-noduckdb');
    try {
      const blocker = pathToFileURL(join(import.meta.dirname, 'without-duckdb.mjs')).href;
      const out = join(dir.path, 'x.parquet');
      const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${blocker}`.trim() };
      const [parquet, jsonl] = await Promise.all([
        runCli(['nexmark', 'generate', '--events', '10', '--out', out], { env }),
        runCli(['nexmark', 'generate', '--events', '10', '--out', join(dir.path, 'x.jsonl')], { env }),
      ]);
      assert.equal(parquet.code, 1);
      assert.match(
        parquet.stderr,
        /^error MISSING_DEPENDENCY: writing Parquet needs the optional package @duckdb\/node-api/,
      );
      assert.match(parquet.stderr, /\nhint: npm install @duckdb\/node-api/);
      assertNoStack(parquet.stderr);
      assert.equal(jsonl.code, 0, `JSON lines need no DuckDB: ${jsonl.stderr}`);
      assert.equal(jsonLines(readFileSync(join(dir.path, 'x.jsonl'), 'utf8')).length, 10);
    } finally {
      dir.remove();
    }
  });

  it('exits 2 on usage errors: bad numbers, not exactly one of --to/--out, unknown extension or format', async () => {
    const dir = tempDir('nexmark-usage');
    try {
      const d = ['--data-dir', dir.path];
      const out = join(dir.path, 'x.jsonl');
      // One bad value per parser here; their edge cases are checked in process below.
      const cases: Array<[string[], RegExp]> = [
        [['--events', 'abc', '--out', out], /--events <n>.*'abc' is invalid/],
        [['--out', out], /required option '--events <n>' not specified/],
        [['--events', '10', '--rate', '0', '--out', out], /--rate <n>.*'0' is invalid/],
        [['--events', '10', '--splits', '0', '--out', out], /--splits <n>.*'0' is invalid/],
        [['--events', '10', '--seed', '1x', '--out', out], /--seed <n>.*'1x' is invalid/],
        [
          ['--events', '10', '--base-time', 'yesterday', '--out', out],
          /--base-time <time>.*'yesterday' is invalid/,
        ],
        [['--events', '10', ...d], /--to <topic> or --out <file>/],
        [
          ['--events', '10', '--to', 't', '--out', out, ...d],
          /'--to <topic>' cannot be used with option '--out <file>'/,
        ],
        [
          ['--events', '10', '--out', join(dir.path, 'x.csv')],
          /x\.csv' is invalid\. expected a file name ending in \.jsonl or \.parquet/,
        ],
        [['--events', '10', '--to', 't', '--format', 'xml', ...d], /--format <format>.*'xml' is invalid/],
        [
          ['--events', '10', '--out', out, '--format', 'binary'],
          /'--out <file>' cannot be used with option '--format <format>'/,
        ],
      ];
      const results = await Promise.all(cases.map(([args]) => runCli(['nexmark', 'generate', ...args])));
      results.forEach((r, i) => {
        const [args, pattern] = cases[i]!;
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^error: /, args.join(' '));
        assert.match(r.stderr, pattern, args.join(' '));
      });
      // Nothing was written: no data directory contents, no output file.
      const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
      try {
        assert.equal(log.hasTopic('t'), false);
      } finally {
        await log.close();
      }
      assert.throws(() => readFileSync(out));
    } finally {
      dir.remove();
    }
  });

  it('parses its option values strictly (in process)', () => {
    assert.equal(parseRate('10000'), 10_000);
    assert.equal(parseRate('2.5'), 2.5);
    assert.equal(parseRate('1e6'), 1_000_000);
    for (const bad of ['0', '0.0', '-1', 'fast', '', '1e400', 'Infinity', ' 5'])
      assert.throws(() => parseRate(bad), InvalidArgumentError, bad);
    assert.equal(parseSeed('0'), 0);
    assert.equal(parseSeed('-42'), -42);
    assert.equal(parseSeed(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    for (const bad of ['1x', '1.5', '', '--1', '9007199254740992'])
      assert.throws(() => parseSeed(bad), InvalidArgumentError, bad);
    assert.equal(parseBaseTime('0'), 0);
    assert.equal(parseBaseTime('2025-01-01T00:00:00Z'), 1_735_689_600_000);
    for (const bad of ['1969-12-31', 'yesterday', '-5'])
      assert.throws(() => parseBaseTime(bad), InvalidArgumentError, bad);
    for (const good of ['a.jsonl', 'dir/b.parquet', 'C.PARQUET']) assert.equal(parseOutFile(good), good);
    for (const bad of ['a.json', 'a.csv', 'parquet', 'a.jsonl.gz', ''])
      assert.throws(() => parseOutFile(bad), InvalidArgumentError, bad);
  });
});
