import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError, pipeline, topic } from 'rivulet';
import { TestDriver } from 'rivulet/testing';
import { csv } from '../src/index.ts';

/**
 * Reference RFC 4180 parse of one record, written as the RFC's grammar reads, character by character:
 * record = field *(COMMA field); field = escaped / non-escaped; escaped = DQUOTE *(TEXTDATA / COMMA /
 * CR / LF / 2DQUOTE) DQUOTE. Returns undefined for text that is not exactly one record.
 */
function referenceParse(text: string, comma: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let state: 'start' | 'plain' | 'quoted' | 'quote-in-quoted' = 'start';
  for (const ch of text) {
    if (state === 'quoted') {
      if (ch === '"') state = 'quote-in-quoted';
      else field += ch;
    } else if (state === 'quote-in-quoted') {
      if (ch === '"') {
        field += '"';
        state = 'quoted';
      } else if (ch === comma) {
        fields.push(field);
        field = '';
        state = 'start';
      } else return undefined;
    } else if (ch === comma) {
      fields.push(field);
      field = '';
      state = 'start';
    } else if (ch === '"') {
      if (state !== 'start') return undefined;
      state = 'quoted';
    } else if (ch === '\r' || ch === '\n') return undefined;
    else {
      field += ch;
      state = 'plain';
    }
  }
  if (state === 'quoted') return undefined;
  fields.push(field);
  return fields;
}

/** Reference encoding that quotes every field (RFC 4180 allows it): decode must read it too. */
const quoteAll = (fields: string[], comma: string) =>
  fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(comma);

const codeOf = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(isEngineError(e), String(e));
  assert.equal(e.code, code, e.message);
  if (pattern !== undefined) assert.match(e.message, pattern);
  return true;
};

/** Field text biased towards the characters RFC 4180 quoting is about. */
const fieldText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(',', ';', '\t', '"', '\r', '\n', ' ', 'a', 'é', '😀'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

for (const delimiter of [',', ';', '\t']) {
  test(`csv (${JSON.stringify(delimiter)}): encode matches the reference parse, decode(encode(x)) == x, quoted-everywhere rows decode`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fieldText, { minLength: 6, maxLength: 6 }),
        (n, values) => {
          const columns = Array.from({ length: n }, (_, i) => `c${i}`);
          const format = csv({ columns, delimiter });
          const row = Object.fromEntries(columns.map((c, i) => [c, values[i]!]));
          const bytes = format.serde!.encode(row);
          const line = Buffer.from(bytes).toString('utf8');
          assert.deepEqual(referenceParse(line, delimiter), values.slice(0, n));
          assert.deepEqual(format.serde!.decode(bytes), row);
          assert.deepEqual(format.serde!.decode(Buffer.from(quoteAll(values.slice(0, n), delimiter))), row);
          // One trailing line terminator is allowed on decode.
          assert.deepEqual(format.serde!.decode(Buffer.from(`${line}\r\n`)), row);
          assert.deepEqual(format.serde!.decode(Buffer.from(`${line}\n`)), row);
        },
      ),
      { numRuns: 400 },
    );
  });
}

test('csv: decode agrees with the reference parse on arbitrary text (same fields, or both refuse)', () => {
  const format = csv({ columns: ['a', 'b', 'c'] });
  const chars = fc.string({ unit: fc.constantFrom('a', ',', '"', ' ', 'x'), maxLength: 14 });
  fc.assert(
    fc.property(chars, (line) => {
      const expected = referenceParse(line, ',');
      if (expected === undefined || expected.length !== 3)
        assert.throws(() => format.serde!.decode(Buffer.from(line)), codeOf('INVALID_RECORD'));
      else assert.deepEqual(Object.values(format.serde!.decode(Buffer.from(line))), expected);
    }),
    { numRuns: 2000 },
  );
});

test('csv: quoting on encode follows RFC 4180 exactly', () => {
  const format = csv({ columns: ['id', 'name', 'note'] });
  const line = (row: Record<string, string>) => Buffer.from(format.serde!.encode(row)).toString('utf8');
  assert.equal(line({ id: '1', name: 'ada', note: '' }), '1,ada,');
  assert.equal(line({ id: '2', name: 'a,b', note: 'say "hi"' }), '2,"a,b","say ""hi"""');
  assert.equal(line({ id: '3', name: 'two\r\nlines', note: ' padded ' }), '3,"two\r\nlines", padded ');
  assert.equal(Buffer.from(format.headerRow).toString('utf8'), 'id,name,note');
});

test('csv: malformed rows and wrong field counts are INVALID_RECORD', () => {
  const format = csv({ columns: ['a', 'b'] });
  const cases: Array<[string | Buffer, RegExp]> = [
    ['1,2,3', /expected 2 fields, got 3/],
    ['1', /expected 2 fields, got 1/],
    ['1,"2', /not closed/],
    ['1,2"x', /quote inside an unquoted field/],
    ['1,"2"x', /text after a closing quote/],
    ['1\n,2', /line break outside quotes/],
    ['1,2\n\n', /line break outside quotes/],
    [Buffer.from([0x31, 0x2c, 0xff]), /not valid UTF-8/],
  ];
  for (const [bytes, pattern] of cases)
    assert.throws(() => format.serde!.decode(Buffer.from(bytes)), codeOf('INVALID_RECORD', pattern));
});

test('csv: encode refuses a row missing a column, with a non-string value or an unknown column', () => {
  const format = csv({ columns: ['a', 'b'] });
  assert.throws(
    () => format.serde!.encode({ a: '1' } as never),
    codeOf('INVALID_RECORD', /'b' must be a string, got nothing/),
  );
  assert.throws(
    () => format.serde!.encode({ a: '1', b: 2 } as never),
    codeOf('INVALID_RECORD', /got number/),
  );
  assert.throws(
    () => format.serde!.encode({ a: '1', b: '2', c: '3' }),
    codeOf('INVALID_RECORD', /'c' is not one of the columns/),
  );
});

test('csv header: the header line is refused as a record (so a skip policy drops it); off by default', () => {
  const withHeader = csv({ columns: ['id', 'name'], header: true });
  assert.throws(
    () => withHeader.serde!.decode(Buffer.from('id,name\r\n')),
    (e) =>
      codeOf('INVALID_RECORD', /header line/)(e) &&
      (e as { details: { header?: boolean } }).details.header === true,
  );
  assert.deepEqual(withHeader.serde!.decode(Buffer.from('1,ada')), { id: '1', name: 'ada' });
  assert.deepEqual(csv({ columns: ['id', 'name'] }).serde!.decode(Buffer.from('id,name')), {
    id: 'id',
    name: 'name',
  });
});

test('csv: bad options are INVALID_ARGUMENT naming the option', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ columns: [] }, /columns/],
    [{ columns: ['a', 'a'] }, /columns must not repeat/],
    [{ columns: ['__proto__'] }, /columns/],
    [{ columns: ['a'], delimiter: '"' }, /delimiter/],
    [{ columns: ['a'], delimiter: ',,' }, /delimiter/],
    [{ columns: ['a'], header: 'yes' }, /header/],
    [undefined, /options/],
  ];
  for (const [options, pattern] of bad)
    assert.throws(() => csv(options as never), codeOf('INVALID_ARGUMENT', pattern));
});

test('csv in a pipeline: rows decode to objects, and the output is CSV again', () => {
  const columns = ['sku', 'qty', 'note'];
  const p = pipeline('csv-rows');
  p.from('rows', topic('rows-csv', csv({ columns })))
    .map((r) => ({ sku: r.sku!, qty: String(Number(r.qty) * 2), note: r.note! }))
    .to('out', topic('rows-out', csv({ columns, delimiter: ';' })));
  const driver = new TestDriver(p);
  driver.pipeRawInput('rows-csv', Buffer.from('A-1,2,"big; ""red"""\r\n'));
  const out = driver.readOutput('rows-out');
  assert.deepEqual(
    out.map((r) => r.value),
    [{ sku: 'A-1', qty: '4', note: 'big; "red"' }],
  );
});
