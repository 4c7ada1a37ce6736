/** Number formatting for the dashboard (locale-independent, short). */

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Records per second: one decimal below 10, whole numbers up to 10k, then k/M/G. */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return '– /s';
  if (perSecond >= 1e4) return `${formatCount(perSecond)}/s`;
  return `${perSecond < 10 ? perSecond.toFixed(1).replace(/\.0$/, '') : Math.round(perSecond)}/s`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** An epoch-ms time as ISO 8601 UTC without the date when it is today's (records, watermarks). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) === new Date().toISOString().slice(0, 10) ? iso.slice(11, 23) : iso;
}
