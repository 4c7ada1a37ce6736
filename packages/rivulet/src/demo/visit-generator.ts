import { EngineError } from '../model/index.ts';
import { DemoRandom } from './demo-random.ts';

/** One visitor action on the travel site (SCENARIOS.md S1). `ts` is its event time, ms since the epoch. */
export interface Visit {
  visitorId: string;
  page: string;
  ts: number;
}

/** A generated visit and the input partition it belongs to (every visitor's visits go to one partition). */
export interface GeneratedVisit {
  partition: number;
  visit: Visit;
}

export interface VisitGeneratorOptions {
  seed: number;
  /** Event time of the first visit, ms (default 2025-06-02T06:00:00Z). */
  startTime?: number;
  /** Average visits per second of event time (default 5). */
  eventsPerSecond?: number;
  /** Traffic rises and falls around the average with this period of event time (default 2 h). */
  trafficPeriodMs?: number;
  /** Visitor population (default 50,000), plus `heavyVisitors` (default 8) taking `heavyShare` (0.1). */
  visitors?: number;
  heavyVisitors?: number;
  heavyShare?: number;
  /** Visits are up to this much older than the newest one before them (default 50 s). */
  maxOutOfOrderMs?: number;
  /** Share of visits that arrive hours late (default 0.001): later than any window's allowed lateness. */
  lateShare?: number;
  /** Input partitions the visitors are spread over (default 2). */
  partitions?: number;
}

export interface VisitGeneratorConfig {
  seed: number;
  startTime: number;
  eventsPerSecond: number;
  trafficPeriodMs: number;
  visitors: number;
  heavyVisitors: number;
  heavyShare: number;
  maxOutOfOrderMs: number;
  lateShare: number;
  partitions: number;
}

/** How late a late visit is: between these, so it is late whatever batches the engine reads it in. */
export const LATE_MIN_MS = 3 * 3_600_000;
export const LATE_MAX_MS = 4 * 3_600_000;
/** Late visits start once this much event time has passed, so they never predate the first visit. */
const LATE_FROM_MS = LATE_MAX_MS + 3_600_000;
/** Traffic swings between (1 - AMPLITUDE) and (1 + AMPLITUDE) times the average. */
const AMPLITUDE = 0.8;

const PAGES: readonly string[] = [
  '/',
  '/search',
  '/flights',
  '/hotels',
  '/cars',
  '/deals',
  '/destinations',
  '/checkout',
  '/account',
];

export function resolveVisitGeneratorOptions(options: VisitGeneratorOptions): VisitGeneratorConfig {
  const config: VisitGeneratorConfig = {
    seed: options.seed,
    startTime: options.startTime ?? Date.UTC(2025, 5, 2, 6, 0, 0),
    eventsPerSecond: options.eventsPerSecond ?? 5,
    trafficPeriodMs: options.trafficPeriodMs ?? 2 * 3_600_000,
    visitors: options.visitors ?? 50_000,
    heavyVisitors: options.heavyVisitors ?? 8,
    heavyShare: options.heavyShare ?? 0.1,
    maxOutOfOrderMs: options.maxOutOfOrderMs ?? 50_000,
    lateShare: options.lateShare ?? 0.001,
    partitions: options.partitions ?? 2,
  };
  const positive: Array<keyof VisitGeneratorConfig> = [
    'eventsPerSecond',
    'trafficPeriodMs',
    'visitors',
    'partitions',
  ];
  for (const name of positive)
    if (!(Number.isFinite(config[name]) && config[name] > 0))
      throw new EngineError('INVALID_ARGUMENT', `${name} must be a number > 0, got ${config[name]}`);
  for (const name of ['heavyShare', 'lateShare'] as const)
    if (!(config[name] >= 0 && config[name] <= 1))
      throw new EngineError('INVALID_ARGUMENT', `${name} must be in [0, 1], got ${config[name]}`);
  if (!Number.isSafeInteger(config.seed))
    throw new EngineError('INVALID_ARGUMENT', `seed must be an integer, got ${config.seed}`);
  return config;
}

/**
 * Deterministic travel-site traffic: the same options give the same visits. Event time advances by
 * exponential gaps whose rate follows a sine around `eventsPerSecond` (starting at its low point), so the
 * number of distinct visitors in a 30-minute window rises and falls. Visitors are drawn uniformly from
 * the population, except `heavyShare` of the visits from a few heavy visitors. Each visit's `ts` is the
 * generator's clock minus up to `maxOutOfOrderMs`, so it is never more than that behind any earlier
 * visit's clock; `lateShare` of the visits (once the clock is 5 h past the start) are instead 3 to 4 hours
 * old. A visitor's visits all go to partition `visitor number % partitions`.
 */
export class VisitGenerator {
  readonly config: VisitGeneratorConfig;
  readonly #random: DemoRandom;
  #clock: number;
  #generated = 0;

  constructor(options: VisitGeneratorOptions) {
    this.config = resolveVisitGeneratorOptions(options);
    this.#random = new DemoRandom(this.config.seed);
    this.#clock = this.config.startTime;
  }

  /** Visits generated so far. */
  get generated(): number {
    return this.#generated;
  }

  /** The generator's clock: the newest event time so far (late and out-of-order visits are older). */
  get clock(): number {
    return Math.floor(this.#clock);
  }

  next(): GeneratedVisit {
    const c = this.config;
    const random = this.#random;
    const phase = (2 * Math.PI * (this.#clock - c.startTime)) / c.trafficPeriodMs;
    const ratePerMs = (c.eventsPerSecond * (1 - AMPLITUDE * Math.cos(phase))) / 1000;
    this.#clock += -Math.log(1 - random.next()) / ratePerMs;
    const now = Math.floor(this.#clock);
    let visitor: number;
    let visitorId: string;
    if (c.heavyVisitors > 0 && random.next() < c.heavyShare) {
      visitor = random.int(c.heavyVisitors);
      visitorId = `heavy-${visitor}`;
    } else {
      visitor = random.int(c.visitors);
      visitorId = `visitor-${visitor}`;
    }
    const page = PAGES[random.int(PAGES.length)]!;
    const late = now - c.startTime >= LATE_FROM_MS && random.next() < c.lateShare;
    const ts = late
      ? now - random.between(LATE_MIN_MS, LATE_MAX_MS)
      : now - random.between(0, c.maxOutOfOrderMs);
    this.#generated++;
    return { partition: visitor % c.partitions, visit: { visitorId, page, ts: Math.max(c.startTime, ts) } };
  }

  /** The next `n` visits. */
  take(n: number): GeneratedVisit[] {
    const out: GeneratedVisit[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }
}
