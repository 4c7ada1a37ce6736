import {
  HOPPING_ADVANCE_MS,
  HOPPING_SIZE_MS,
  SESSION_GAP_MS,
  SLIDING_RESOLUTION_MS,
  SLIDING_SIZE_MS,
  TUMBLING_SIZE_MS,
  type WindowKind,
} from './window-pipelines.ts';

/** One closed window's count, shaped like the engine's windowed results. */
export interface WindowResult {
  key: string;
  window: { start: number; end: number };
  value: number;
}

/**
 * Hand-written event-time window counts over one key space (the floor keeps one per partition, the
 * RxJS peer one for all): the engine's window rules written as plain code over Maps. A record counts
 * in each of its windows that is still open (end > watermark); one with none open is late. `close`
 * takes the watermark (the caller's min over partitions) and returns, in end order, every window whose
 * end it reached (end <= watermark), forgetting them.
 */
export interface WindowCounts {
  /** Counts the record; false when it is late (all its windows closed: not counted). */
  add(key: string, ts: number): boolean;
  /** Closes the windows the watermark reached; an empty array when none (or it did not move). */
  close(watermark: number): WindowResult[];
}

const NONE: WindowResult[] = [];

/** Tumbling (advance = size) and hopping windows: per window end, a Map from key to count. */
class FixedWindowCounts implements WindowCounts {
  readonly #open = new Map<number, Map<string, number>>();
  #watermark = Number.NEGATIVE_INFINITY;
  #minEnd = Number.POSITIVE_INFINITY;

  constructor(
    private readonly sizeMs: number,
    private readonly advanceMs: number,
  ) {}

  add(key: string, ts: number): boolean {
    const size = this.sizeMs;
    const advance = this.advanceMs;
    const last = ts - (ts % advance);
    let open = 0;
    // Windows [start, start + size) with start a multiple of advance in (ts - size, ts].
    for (let start = last - Math.floor((size - 1) / advance) * advance; start <= last; start += advance) {
      const end = start + size;
      if (end <= ts || end <= this.#watermark) continue;
      open++;
      let counts = this.#open.get(end);
      if (counts === undefined) {
        counts = new Map();
        this.#open.set(end, counts);
        if (end < this.#minEnd) this.#minEnd = end;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return open > 0;
  }

  close(watermark: number): WindowResult[] {
    if (watermark <= this.#watermark) return NONE;
    this.#watermark = watermark;
    if (this.#minEnd > watermark) return NONE;
    const ends = [...this.#open.keys()].filter((end) => end <= watermark).sort((a, b) => a - b);
    const out: WindowResult[] = [];
    for (const end of ends) {
      const window = { start: end - this.sizeMs, end };
      for (const [key, value] of this.#open.get(end)!) out.push({ key, window, value });
      this.#open.delete(end);
    }
    this.#minEnd = Math.min(...this.#open.keys());
    return out;
  }
}

interface Session {
  start: number;
  end: number;
  count: number;
}

/**
 * Session windows: per key its open sessions; a record at t opens [t, t + gap) and merges with every
 * open session it overlaps. A binary min-heap of (end, start, key), one entry per change, finds the
 * sessions to close in end order; entries of sessions that grew or merged since are skipped.
 */
class SessionCounts implements WindowCounts {
  readonly #sessions = new Map<string, Session[]>();
  readonly #heap: Array<{ end: number; start: number; key: string }> = [];
  #watermark = Number.NEGATIVE_INFINITY;

  constructor(private readonly gapMs: number) {}

  add(key: string, t: number): boolean {
    const sessions = this.#sessions.get(key);
    let start = t;
    let end = t + this.gapMs;
    let count = 1;
    const keep: Session[] = [];
    if (sessions !== undefined) {
      for (const s of sessions) {
        if (s.start < t + this.gapMs && t < s.end) {
          if (s.start < start) start = s.start;
          if (s.end > end) end = s.end;
          count += s.count;
        } else keep.push(s);
      }
    }
    if (end <= this.#watermark) return false;
    keep.push({ start, end, count });
    this.#sessions.set(key, keep);
    this.#push({ end, start, key });
    return true;
  }

  close(watermark: number): WindowResult[] {
    if (watermark <= this.#watermark) return NONE;
    this.#watermark = watermark;
    let out = NONE;
    while (this.#heap.length > 0 && this.#heap[0]!.end <= watermark) {
      const { end, start, key } = this.#pop();
      const sessions = this.#sessions.get(key);
      const i = sessions === undefined ? -1 : sessions.findIndex((s) => s.start === start && s.end === end);
      if (i < 0) continue; // grew or merged since this entry was pushed
      const [session] = sessions!.splice(i, 1);
      if (sessions!.length === 0) this.#sessions.delete(key);
      if (out === NONE) out = [];
      out.push({ key, window: { start, end }, value: session!.count });
    }
    return out;
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a]!;
    const y = this.#heap[b]!;
    return x.end < y.end || (x.end === y.end && x.start < y.start);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  }

  #push(entry: { end: number; start: number; key: string }): void {
    this.#heap.push(entry);
    for (let i = this.#heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #pop(): { end: number; start: number; key: string } {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#less(l, m)) m = l;
        if (r < heap.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** One pane of a user: its rounded time, its records, and how many of them wait for their result. */
interface CountPane {
  time: number;
  count: number;
  waiting: number;
}

/**
 * Sliding windows at a resolution: a record at t is at t' = t rounded down to a multiple of the
 * resolution, and its window counts its user's records whose rounded time is in [t' - size, t'],
 * reported as [t' - size, t' + resolution); one result per record, emitted when the watermark reaches
 * t' + resolution (late when it already had). Per user a deque of panes ascending by time (a record
 * lands at or near the back: the input is at most 5 s out of order), trimmed at the front of panes no
 * open window reaches; per window end the users with waiting records, closed in end order.
 */
class SlidingCounts implements WindowCounts {
  readonly #panes = new Map<string, CountPane[]>();
  /** Window end -> the users with a pane ending there that has waiting records. */
  readonly #due = new Map<number, string[]>();
  #watermark = Number.NEGATIVE_INFINITY;
  #minDue = Number.POSITIVE_INFINITY;

  constructor(
    private readonly sizeMs: number,
    private readonly resolutionMs: number,
  ) {}

  add(key: string, ts: number): boolean {
    const time = ts - (ts % this.resolutionMs); // event times are >= 0 here
    const end = time + this.resolutionMs;
    if (end <= this.#watermark) return false;
    let panes = this.#panes.get(key);
    if (panes === undefined) {
      panes = [];
      this.#panes.set(key, panes);
    }
    this.#trim(panes);
    let i = panes.length;
    while (i > 0 && panes[i - 1]!.time > time) i--;
    let pane = i > 0 ? panes[i - 1] : undefined;
    if (pane === undefined || pane.time !== time) {
      pane = { time, count: 0, waiting: 0 };
      panes.splice(i, 0, pane);
    }
    pane.count++;
    if (pane.waiting++ === 0) {
      const users = this.#due.get(end);
      if (users === undefined) this.#due.set(end, [key]);
      else users.push(key);
      if (end < this.#minDue) this.#minDue = end;
    }
    return true;
  }

  /** Drops the front panes below the oldest window start still to come (none with waiting records). */
  #trim(panes: CountPane[]): void {
    if (!Number.isFinite(this.#watermark)) return;
    const keep = this.#watermark - (this.#watermark % this.resolutionMs) - this.sizeMs;
    let n = 0;
    while (n < panes.length && panes[n]!.time < keep && panes[n]!.waiting === 0) n++;
    if (n > 0) panes.splice(0, n);
  }

  close(watermark: number): WindowResult[] {
    if (watermark <= this.#watermark) return NONE;
    this.#watermark = watermark;
    if (this.#minDue > watermark) return NONE;
    const ends = [...this.#due.keys()].filter((end) => end <= watermark).sort((a, b) => a - b);
    const out: WindowResult[] = [];
    for (const end of ends) {
      const time = end - this.resolutionMs;
      const window = { start: time - this.sizeMs, end };
      for (const key of this.#due.get(end)!) {
        const panes = this.#panes.get(key)!;
        let value = 0;
        let waiting = 0;
        for (const pane of panes) {
          if (pane.time >= window.start && pane.time <= time) value += pane.count;
          if (pane.time === time) {
            waiting = pane.waiting;
            pane.waiting = 0;
          }
        }
        for (let i = 0; i < waiting; i++) out.push({ key, window, value });
        this.#trim(panes);
      }
      this.#due.delete(end);
    }
    this.#minDue = Math.min(...this.#due.keys());
    return out;
  }
}

export function windowCounts(kind: WindowKind): WindowCounts {
  switch (kind) {
    case 'tumbling':
      return new FixedWindowCounts(TUMBLING_SIZE_MS, TUMBLING_SIZE_MS);
    case 'hopping':
      return new FixedWindowCounts(HOPPING_SIZE_MS, HOPPING_ADVANCE_MS);
    case 'session':
      return new SessionCounts(SESSION_GAP_MS);
    case 'sliding':
      return new SlidingCounts(SLIDING_SIZE_MS, SLIDING_RESOLUTION_MS);
  }
}
