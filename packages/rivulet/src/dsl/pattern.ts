import { type Duration, parseDuration } from '../model/index.ts';

/** What a condition sees besides the record: the records matched so far, by stage name. */
export interface PatternContext<T> {
  readonly matched: Readonly<Record<string, readonly T[]>>;
}

export type PatternCondition<T> = (value: T, context: PatternContext<T>) => boolean;

/** One stage of a pattern (see `pattern()`). */
export interface PatternStage<T> {
  readonly name: string;
  readonly condition: PatternCondition<T>;
  /**
   * How the stage's first record follows the previous stage's last: `strict` (`next`: the very next
   * record of the key), `relaxed` (`begin`, `followedBy`: the first later record that meets the
   * condition), `absent` (`notFollowedBy`: no record meeting the condition may come).
   */
  readonly contiguity: 'strict' | 'relaxed' | 'absent';
  /**
   * The fewest records the stage takes before the match may move on (`times(n)`, `times(n, m)`,
   * `oneOrMore()`; 1 by default); at least 1.
   */
  readonly times: number;
  /**
   * The most records the stage takes, at least `times`: equal to it for `times(n)`, `m` for
   * `times(n, m)`, `Infinity` for `oneOrMore()` (a pattern with one needs `within`). Each count from
   * `times` to this one completes the stage, so every count gives its own match.
   */
  readonly maxTimes: number;
  /** `optional()`: the stage may also take none. */
  readonly optional: boolean;
}

/**
 * A complex event pattern over the records of one key, in event-time order: stages, each a condition on
 * a record (which can look at the records matched earlier), joined by `next` (strict contiguity),
 * `followedBy` (relaxed) or `notFollowedBy` (absence), with `times(n)`, `times(n, m)`, `oneOrMore()`
 * and `optional()` on the last stage added and `within(d)` bounding the time from the first record to
 * the last (or, for a pattern ending in `notFollowedBy`, the deadline by which the absence is
 * confirmed). Immutable: every call returns a new pattern. Run it with `KeyedStream.match(name, pattern)`.
 */
export class Pattern<T> {
  readonly stages: readonly PatternStage<T>[];
  readonly withinMs: number | undefined;

  /** @internal */
  constructor(stages: readonly PatternStage<T>[], withinMs: number | undefined) {
    this.stages = stages;
    this.withinMs = withinMs;
  }

  #add(name: string, condition: PatternCondition<T>, contiguity: PatternStage<T>['contiguity']): Pattern<T> {
    if (this.stages.some((s) => s.name === name))
      throw new TypeError(`pattern: the stage name '${name}' is already used`);
    if (this.stages.length === 0 && contiguity !== 'relaxed')
      throw new TypeError('pattern: start with begin(name, condition)');
    return new Pattern(
      [...this.stages, { name, condition, contiguity, times: 1, maxTimes: 1, optional: false }],
      this.withinMs,
    );
  }

  #last(change: (stage: PatternStage<T>) => PatternStage<T>): Pattern<T> {
    const last = this.stages.at(-1);
    if (last === undefined) throw new TypeError('pattern: no stage yet');
    return new Pattern([...this.stages.slice(0, -1), change(last)], this.withinMs);
  }

  begin(name: string, condition: PatternCondition<T>): Pattern<T> {
    if (this.stages.length > 0) throw new TypeError('pattern: begin() comes first, once');
    return this.#add(name, condition, 'relaxed');
  }

  /** The next record of the key must meet `condition` (strict contiguity). */
  next(name: string, condition: PatternCondition<T>): Pattern<T> {
    return this.#add(name, condition, 'strict');
  }

  /** The first later record of the key that meets `condition` (relaxed contiguity). */
  followedBy(name: string, condition: PatternCondition<T>): Pattern<T> {
    return this.#add(name, condition, 'relaxed');
  }

  /**
   * No record meeting `condition` may come before the next stage's first record; as the last stage,
   * none before the `within` deadline (the match is emitted once the watermark passes it).
   */
  notFollowedBy(name: string, condition: PatternCondition<T>): Pattern<T> {
    if (this.stages.at(-1)?.contiguity === 'absent')
      throw new TypeError('pattern: two notFollowedBy stages in a row');
    return this.#add(name, condition, 'absent');
  }

  /**
   * The last stage takes at least `n` and at most `m` records (`m` defaults to `n`; both finite, see
   * `oneOrMore()` otherwise), each the first later record meeting its condition. Every count from `n` to
   * `m` is a match of its own: after its n-th record the match both moves on and keeps taking records.
   */
  times(n: number, m: number = n): Pattern<T> {
    if (!Number.isSafeInteger(n) || n < 1)
      throw new TypeError(`pattern: times(n, m) needs an integer n >= 1, got ${n}`);
    if (m === Number.POSITIVE_INFINITY)
      throw new TypeError('pattern: times(n, m) needs a finite m; use oneOrMore() for no upper bound');
    if (!Number.isSafeInteger(m) || m < n)
      throw new TypeError(`pattern: times(n, m) needs an integer m >= n (${n}), got ${m}`);
    return this.#last((s) => {
      if (s.contiguity === 'absent') throw new TypeError('pattern: times() on a notFollowedBy stage');
      return { ...s, times: n, maxTimes: m };
    });
  }

  /**
   * The last stage takes one record or more, each the first later record meeting its condition; every
   * count is a match of its own. The pattern needs `within(d)`, which bounds the loop (and the state).
   */
  oneOrMore(): Pattern<T> {
    return this.#last((s) => {
      if (s.contiguity === 'absent') throw new TypeError('pattern: oneOrMore() on a notFollowedBy stage');
      return { ...s, times: 1, maxTimes: Number.POSITIVE_INFINITY };
    });
  }

  /** The last stage may take no record at all. */
  optional(): Pattern<T> {
    if (this.stages.length === 1) throw new TypeError('pattern: the begin stage cannot be optional');
    return this.#last((s) => {
      if (s.contiguity === 'absent') throw new TypeError('pattern: optional() on a notFollowedBy stage');
      return { ...s, optional: true };
    });
  }

  /** The first and last records of a match are less than `duration` apart (event time). */
  within(duration: Duration): Pattern<T> {
    return new Pattern(this.stages, parseDuration(duration));
  }
}

/** A new, empty pattern over records of type T: start it with `begin(name, condition)`. */
export function pattern<T>(): Pattern<T> {
  return new Pattern<T>([], undefined);
}

/** A complete match: the key, the event times of its first and last records, and its records by stage. */
export interface Match<T, K> {
  key: K;
  start: number;
  end: number;
  records: Record<string, T[]>;
}
