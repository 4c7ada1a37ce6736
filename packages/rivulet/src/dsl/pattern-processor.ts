import type { Match, Pattern, PatternStage } from './pattern.ts';
import type { Processor, ProcessorContext } from './processor.ts';

/** A partial match: the stage it is in, how many records that stage took, and what it matched. */
interface PartialMatch<T> {
  stage: number;
  taken: number;
  matched: Record<string, T[]>;
  start: number;
  end: number;
  /** Position, in the key's time-ordered records, of the last record taken. */
  lastIndex: number;
}

/** Per key: records waiting for the watermark, how far matching has come, and the partial matches. */
interface NfaState<T> {
  buffer: Array<[ts: number, seq: number, value: T]>;
  seq: number;
  /** Records with an earlier time than this were fed to the matcher; later arrivals among them are late. */
  fedBefore: number;
  fed: number;
  partials: PartialMatch<T>[];
}

/** What `match` emits before splitting: a match, or a record that came too late to be matched in order. */
export type MatchOutput<T, K> = { match: Match<T, K> } | { late: T };

/**
 * Runs a pattern per key as a processor. Records are held in state until the watermark passes their
 * time (an event-time timer at t + 1), then fed in event-time order (arrival order on ties), so matching
 * is the same however records were batched or interleaved. Every record meeting the begin stage's
 * condition starts a partial match (overlapping matches are all found). A stage with a range of counts
 * (`times(n, m)`, `oneOrMore()`) forks after each record from its n-th on: one partial match moves on,
 * one keeps taking records up to m, so every count gives its own match. A partial match takes no record
 * `within` or more after its first, and leaves the state once the key's matching has reached that time
 * (so with `within`, which oneOrMore() requires, the state of a key holds only the partial matches
 * started less than `within` before its last fed record). A record that arrives after the key's records
 * at or after its time were fed is late. A pattern ending in notFollowedBy completes when the watermark
 * passes its deadline (first record's time + within) with no record meeting that stage.
 */
export function patternProcessor<T, K>(
  pattern: Pattern<T>,
  store: string,
): Processor<K, T, MatchOutput<T, K>> {
  const stages = pattern.stages;
  const within = pattern.withinMs;
  if (stages.length === 0) throw new TypeError('pattern: it has no stage');
  if (stages.at(-1)!.contiguity === 'absent' && within === undefined)
    throw new TypeError('pattern: a pattern ending in notFollowedBy needs within(duration): its deadline');
  const unbounded = stages.find((s) => s.maxTimes === Number.POSITIVE_INFINITY);
  if (unbounded !== undefined && within === undefined)
    throw new TypeError(
      `pattern: oneOrMore() on '${unbounded.name}' needs within(duration): it bounds the loop and its state`,
    );
  stages.forEach((s, i) => {
    const following = stages[i + 1];
    if (
      s.contiguity === 'absent' &&
      following !== undefined &&
      (following.contiguity === 'strict' || following.optional)
    )
      throw new TypeError(
        `pattern: '${following.name}' after notFollowedBy must be a followedBy, not optional`,
      );
  });

  /** Partial matches that have finished stage `index - 1` and enter stage `index` (optional stages fork). */
  const enter = (
    p: PartialMatch<T>,
    index: number,
    out: PartialMatch<T>[],
    done: PartialMatch<T>[],
  ): void => {
    if (index === stages.length) {
      done.push(p);
      return;
    }
    out.push({ ...p, stage: index, taken: 0 });
    if (stages[index]!.optional) enter(p, index + 1, out, done);
  };

  /**
   * A partial match that just took a record in stage `p.stage`: once the stage has its fewest records it
   * moves on (to the next stage, or done), and while it has fewer than its most it also stays to take
   * the next record meeting the condition; both, between the two bounds.
   */
  const advance = (p: PartialMatch<T>, out: PartialMatch<T>[], done: PartialMatch<T>[]): void => {
    const stage = stages[p.stage]!;
    if (p.taken >= stage.times) enter(p, p.stage + 1, out, done);
    if (p.taken < stage.maxTimes) out.push(p);
  };

  const take = (
    p: PartialMatch<T>,
    stage: PatternStage<T>,
    value: T,
    ts: number,
    index: number,
  ): PartialMatch<T> => ({
    ...p,
    taken: p.taken + 1,
    matched: { ...p.matched, [stage.name]: [...(p.matched[stage.name] ?? []), value] },
    end: ts,
    lastIndex: index,
  });

  /** One record against one partial match: what it becomes (possibly several, possibly none). */
  const step = (
    p: PartialMatch<T>,
    value: T,
    ts: number,
    index: number,
    out: PartialMatch<T>[],
    done: PartialMatch<T>[],
  ): void => {
    const stage = stages[p.stage]!;
    const context = { matched: p.matched };
    if (stage.contiguity === 'absent') {
      if (within !== undefined && ts - p.start >= within) {
        // Past the deadline: a trailing absence waits for its timer; a middle one can no longer finish.
        if (p.stage === stages.length - 1) out.push(p);
        return;
      }
      if (stage.condition(value, context)) return;
      if (p.stage === stages.length - 1) {
        out.push(p);
        return;
      }
      const following = stages[p.stage + 1]!;
      if (following.condition(value, context)) {
        advance(take({ ...p, stage: p.stage + 1, taken: 0 }, following, value, ts, index), out, done);
      } else out.push(p);
      return;
    }
    if (within !== undefined && ts - p.start >= within) return;
    const strict = p.taken === 0 && stage.contiguity === 'strict';
    if (strict && index !== p.lastIndex + 1) return;
    if (!stage.condition(value, context)) {
      if (!strict) out.push(p);
      return;
    }
    advance(take(p, stage, value, ts, index), out, done);
  };

  const emit = (ctx: ProcessorContext<K>, done: PartialMatch<T>[], results: MatchOutput<T, K>[]): void => {
    for (const p of done)
      results.push({ match: { key: ctx.key, start: p.start, end: p.end, records: p.matched } });
  };

  return {
    process(value, ctx) {
      const state = ctx.state<NfaState<T>>(store);
      const nfa = state.get() ?? {
        buffer: [],
        seq: 0,
        fedBefore: Number.NEGATIVE_INFINITY,
        fed: 0,
        partials: [],
      };
      if (ctx.timestamp < nfa.fedBefore) return [{ late: value }];
      nfa.buffer.push([ctx.timestamp, nfa.seq++, value]);
      state.set(nfa);
      ctx.timers.eventTime(ctx.timestamp + 1);
      return undefined;
    },
    onTimer(at, ctx) {
      const state = ctx.state<NfaState<T>>(store);
      const nfa = state.get();
      if (nfa === undefined) return undefined;
      const due = nfa.buffer.filter((b) => b[0] < at).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const rest = nfa.buffer.filter((b) => b[0] >= at);
      const results: MatchOutput<T, K>[] = [];
      let partials = nfa.partials;
      let index = nfa.fed;
      for (const [ts, , value] of due) {
        const next: PartialMatch<T>[] = [];
        const done: PartialMatch<T>[] = [];
        for (const p of partials) step(p, value, ts, index, next, done);
        const first = stages[0]!;
        if (first.condition(value, { matched: {} })) {
          advance(
            take(
              { stage: 0, taken: 0, matched: {}, start: ts, end: ts, lastIndex: index },
              first,
              value,
              ts,
              index,
            ),
            next,
            done,
          );
        }
        emit(ctx, done, results);
        for (const p of next)
          if (stages[p.stage]!.contiguity === 'absent' && p.stage === stages.length - 1 && p.taken === 0)
            ctx.timers.eventTime(p.start + within!);
        partials = next;
        index++;
      }
      // Trailing absences whose deadline passed without the unwanted record: complete. Every record fed
      // from now on is at `at` or later, so any other partial match past its deadline can take none: drop
      // it (this is what bounds the state of oneOrMore loops when the key goes quiet).
      const done: PartialMatch<T>[] = [];
      partials = partials.filter((p) => {
        if (within === undefined || p.start + within > at) return true;
        if (stages[p.stage]!.contiguity === 'absent' && p.stage === stages.length - 1) done.push(p);
        return false;
      });
      emit(ctx, done, results);
      const fedBefore = Math.max(nfa.fedBefore, at);
      if (rest.length === 0 && partials.length === 0)
        state.set({ ...nfa, buffer: [], fedBefore, fed: index, partials: [] });
      else state.set({ ...nfa, buffer: rest, fedBefore, fed: index, partials });
      return results.length > 0 ? results : undefined;
    },
  };
}
