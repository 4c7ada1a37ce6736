/** ListOffsets repair for the test bridge (test infrastructure only). */
import { Reader, Writer } from './codec.ts';

/**
 * ListOffsets v5 response: the 2.0.2 mock writes an extra int32 (-1) after every partition's
 * leader_epoch, so any answer with more than one partition misparses (the client reads the extra
 * bytes as the next partition). Drops it; a frame that does not have exactly that layout is passed on
 * untouched.
 */
export function listOffsetsResponse(frame: Buffer): Buffer {
  const r = new Reader(frame);
  const w = new Writer().i32(r.i32()).i32(r.i32()); // correlation_id, throttle_time_ms
  try {
    const topics = r.array(() => ({
      name: r.str() ?? '',
      partitions: r.array(() => {
        const p = { index: r.i32(), error: r.i16(), timestamp: r.i64(), offset: r.i64(), epoch: r.i32() };
        r.i32(); // the mock's extra field
        return p;
      }),
    }));
    if (r.offset === frame.length) {
      w.array(topics, (w, t) => {
        w.str(t.name).array(t.partitions, (w, p) => {
          w.i32(p.index).i16(p.error).i64(p.timestamp).i64(p.offset).i32(p.epoch);
        });
      });
      return w.frame();
    }
  } catch {
    // not the layout above: pass on
  }
  const len = Buffer.allocUnsafe(4);
  len.writeInt32BE(frame.length);
  return Buffer.concat([len, frame]);
}
