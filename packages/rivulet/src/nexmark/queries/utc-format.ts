/** 'YYYY-MM-DD' of an epoch-ms time in UTC (SQL's DATE_FORMAT(t, 'yyyy-MM-dd')). */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** 'HH:MM' of an epoch-ms time in UTC (DATE_FORMAT(t, 'HH:mm')). */
export function utcMinute(time: number): string {
  return new Date(time).toISOString().slice(11, 16);
}

/** The hour of an epoch-ms time in UTC (SQL's HOUR(t)). */
export function utcHour(time: number): number {
  return Math.floor((time % 86_400_000) / 3_600_000);
}
