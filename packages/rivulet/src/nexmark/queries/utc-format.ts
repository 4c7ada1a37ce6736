/**
 * A time's text for one period (a day, a minute), remembered for the period last asked for: the queries
 * ask for every bid, and consecutive bids almost always share the period.
 */
class PeriodText {
  #from = 0;
  #to = 0;
  #text = '';

  constructor(
    private readonly periodMs: number,
    private readonly format: (time: number) => string,
  ) {}

  of(time: number): string {
    if (time < this.#from || time >= this.#to) {
      this.#from = time - (time % this.periodMs);
      this.#to = this.#from + this.periodMs;
      this.#text = this.format(time);
    }
    return this.#text;
  }
}

const days = new PeriodText(86_400_000, (time) => new Date(time).toISOString().slice(0, 10));
const minutes = new PeriodText(60_000, (time) => new Date(time).toISOString().slice(11, 16));

/** 'YYYY-MM-DD' of an epoch-ms time in UTC (SQL's DATE_FORMAT(t, 'yyyy-MM-dd')). */
export function utcDay(time: number): string {
  return days.of(time);
}

/** 'HH:MM' of an epoch-ms time in UTC (DATE_FORMAT(t, 'HH:mm')). */
export function utcMinute(time: number): string {
  return minutes.of(time);
}

/** The hour of an epoch-ms time in UTC (SQL's HOUR(t)). */
export function utcHour(time: number): number {
  return Math.floor((time % 86_400_000) / 3_600_000);
}
