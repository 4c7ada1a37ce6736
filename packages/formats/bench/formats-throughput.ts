import avsc from 'avsc';
import pb from 'protobufjs';
import { avro, csv, protobuf } from '../src/index.ts';

/**
 * Records/s of encode + decode (one encode and one decode per record) through the formats' serdes,
 * against the same library used bare (avsc `toBuffer`/`fromBuffer`, protobufjs `encode().finish()`/
 * `decode` + `toObject`) and against JSON.stringify/JSON.parse of the same objects (UTF-8 Buffers, as
 * the json() format does). Each case runs its three loops in turn, three rounds, best round kept (the
 * machine is shared). CPU only: no server involved.
 */
export async function formatsThroughput(options: {
  records: number;
}): Promise<
  Array<{ case: string; formatPerSec: number; barePerSec: number; jsonPerSec: number; ratio: number }>
> {
  const n = options.records;
  const orders = Array.from({ length: n }, (_, i) => ({
    id: i,
    ts: 1_700_000_000_000 + i,
    customer: `customer-${i % 977}`,
    amount: (i % 10_000) / 100,
    tags: ['red', 'blue', i % 2 === 0 ? 'even' : 'odd'],
    status: i % 3,
    note: i % 4 === 0 ? null : `note ${i}`,
  }));

  const avroSchema = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'ts', type: 'long' },
      { name: 'customer', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  };
  const avroOrders = orders.map((o) => ({ ...o, status: ['NEW', 'PAID', 'SHIPPED'][o.status]! }));
  const avroFormat = avro(avroSchema).serde!;
  const bareAvro = avsc.Type.forSchema(avroSchema as avsc.Schema);
  // The same record with `ts` as a double: isolates the cost of the exact long type (avro-format.ts).
  const noLongSchema = {
    ...avroSchema,
    fields: avroSchema.fields.map((f) => (f.name === 'ts' ? { ...f, type: 'double' } : f)),
  };
  const noLongFormat = avro(noLongSchema).serde!;
  const bareNoLong = avsc.Type.forSchema(noLongSchema as avsc.Schema);

  const root = pb.parse(`
    syntax = "proto3";
    message Order {
      int32 id = 1; int64 ts = 2; string customer = 3; double amount = 4; repeated string tags = 5;
      int32 status = 6; optional string note = 7;
    }`).root;
  const type = root.lookupType('Order');
  const pbOrders = orders.map((o) => (o.note === null ? { ...o, note: undefined } : o));
  const pbFormat = protobuf({ root, typeName: 'Order' }).serde!;
  const conversion = { defaults: true };

  const csvColumns = ['id', 'ts', 'customer', 'amount', 'note'];
  const csvRows = orders.map((o) => ({
    id: String(o.id),
    ts: String(o.ts),
    customer: o.customer,
    amount: String(o.amount),
    note: o.note ?? '',
  }));
  const csvFormat = csv({ columns: csvColumns }).serde!;
  const bareCsv = {
    encode: (r: Record<string, string>) => Buffer.from(csvColumns.map((c) => r[c]).join(',')),
    decode: (b: Uint8Array) => {
      const f = Buffer.from(b).toString('utf8').split(',');
      return Object.fromEntries(csvColumns.map((c, i) => [c, f[i]]));
    },
  };

  const jsonLoop =
    <T>(values: T[]) =>
    () => {
      for (const v of values) JSON.parse(Buffer.from(JSON.stringify(v), 'utf8').toString('utf8'));
    };
  const cases = [
    {
      name: 'avro encode+decode',
      format: () => {
        for (const o of avroOrders) avroFormat.decode(avroFormat.encode(o));
      },
      bare: () => {
        for (const o of avroOrders) bareAvro.fromBuffer(bareAvro.toBuffer(o));
      },
      json: jsonLoop(avroOrders),
    },
    {
      name: 'avro encode+decode, no long field',
      format: () => {
        for (const o of avroOrders) noLongFormat.decode(noLongFormat.encode(o));
      },
      bare: () => {
        for (const o of avroOrders) bareNoLong.fromBuffer(bareNoLong.toBuffer(o));
      },
      json: jsonLoop(avroOrders),
    },
    {
      name: 'protobuf encode+decode',
      format: () => {
        for (const o of pbOrders) pbFormat.decode(pbFormat.encode(o));
      },
      bare: () => {
        for (const o of pbOrders) type.toObject(type.decode(type.encode(o).finish()), conversion);
      },
      json: jsonLoop(pbOrders),
    },
    {
      name: 'csv encode+decode (bare: join/split, no quoting)',
      format: () => {
        for (const r of csvRows) csvFormat.decode(csvFormat.encode(r));
      },
      bare: () => {
        for (const r of csvRows) bareCsv.decode(bareCsv.encode(r));
      },
      json: jsonLoop(csvRows),
    },
  ];

  const perSec = (loop: () => void): number => {
    const start = process.hrtime.bigint();
    loop();
    return Math.round(n / (Number(process.hrtime.bigint() - start) / 1e9));
  };
  const results = [];
  for (const c of cases) {
    c.format();
    c.bare();
    c.json(); // warm up
    let best = { format: 0, bare: 0, json: 0 };
    for (let round = 0; round < 3; round++) {
      best = {
        format: Math.max(best.format, perSec(c.format)),
        bare: Math.max(best.bare, perSec(c.bare)),
        json: Math.max(best.json, perSec(c.json)),
      };
      await new Promise((resolve) => setImmediate(resolve));
    }
    results.push({
      case: c.name,
      formatPerSec: best.format,
      barePerSec: best.bare,
      jsonPerSec: best.json,
      ratio: Math.round((best.format / best.bare) * 100) / 100,
    });
  }
  return results;
}

/** The shape the connector benches share (format in the connector's place). */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  return (await formatsThroughput(options)).map((r) => ({
    case: r.case,
    connectorPerSec: r.formatPerSec,
    barePerSec: r.barePerSec,
  }));
}
