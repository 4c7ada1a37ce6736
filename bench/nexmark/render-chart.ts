/**
 * `npx tsx bench/nexmark/render-chart.ts results.jsonl out.svg`: the `--json` lines of a Nexmark run
 * (`npm run -s bench -- nexmark --json > results.jsonl`) as an SVG bar chart: events/s per core per
 * query, one bar per engine, on a log scale, with the suite's per-core targets marked. Plain SVG built
 * as a string, no dependency. Lines of other suites or metrics are ignored; when a case appears more
 * than once (several runs in one file) the last line wins.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const ENGINE_ORDER = ['rivulet-memory', 'rivulet-log', 'hand-loop', 'rxjs', 'node-streams', 'duckdb'];
const COLORS: Readonly<Record<string, string>> = {
  'rivulet-memory': '#1f77b4',
  'rivulet-log': '#6baed6',
  'hand-loop': '#2ca02c',
  rxjs: '#d62728',
  'node-streams': '#9467bd',
  duckdb: '#ff7f0e',
};
/** The suite's per-core bars for rivulet-memory (nexmark-bars.ts), drawn as marks. */
const TARGETS: Readonly<Record<string, number>> = {
  q0: 1_000_000,
  q1: 1_000_000,
  q2: 1_000_000,
  q3: 450_000,
  q5: 450_000,
  q8: 450_000,
  q12: 450_000,
  q4: 150_000,
  q7: 150_000,
  q9: 150_000,
  q11: 150_000,
};

export interface ChartPoint {
  query: string;
  engine: string;
  value: number;
}

/** The events/s/core points of the nexmark lines in `text` (JSON lines; anything else is skipped). */
export function chartPoints(text: string): ChartPoint[] {
  const points = new Map<string, ChartPoint>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let parsed: { suite?: unknown; case?: unknown; metric?: unknown; value?: unknown };
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      continue;
    }
    if (parsed.suite !== 'nexmark' || parsed.metric !== 'events/s/core') continue;
    if (typeof parsed.case !== 'string' || typeof parsed.value !== 'number' || !(parsed.value > 0)) continue;
    const match = /^(q\d+)-(.+)$/.exec(parsed.case);
    if (match === null) continue;
    points.set(parsed.case, { query: match[1]!, engine: match[2]!, value: parsed.value });
  }
  return [...points.values()];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function label(value: number): string {
  if (value >= 1e9) return `${value / 1e9}G`;
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}K`;
  return String(value);
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 0 : 1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e4 ? 0 : 1)}K`;
  return value.toFixed(0);
}

/** The chart as an SVG document. */
export function renderChart(
  points: readonly ChartPoint[],
  title = 'Nexmark: events/s per core (log scale)',
): string {
  const queries = [...new Set(points.map((p) => p.query))].sort(
    (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
  );
  const present = new Set(points.map((p) => p.engine));
  const engines = [
    ...ENGINE_ORDER.filter((e) => present.has(e)),
    ...[...present].filter((e) => !ENGINE_ORDER.includes(e)).sort(),
  ];
  const values = points.map((p) => p.value);
  const targets = queries.map((q) => TARGETS[q]).filter((t): t is number => t !== undefined);
  const lowExp = Math.floor(Math.log10(Math.min(...values, ...targets)));
  const highExp = Math.ceil(Math.log10(Math.max(...values, ...targets)));
  const exps = Math.max(1, highExp - lowExp);

  const barWidth = 11;
  const groupGap = 14;
  const groupWidth = Math.max(1, engines.length) * barWidth + groupGap;
  const margin = { top: 48, right: 20, bottom: 64, left: 64 };
  const plotHeight = 360;
  const legendItem = (name: string): number => 24 + name.length * 6.5;
  const legendWidth = engines.reduce((w, e) => w + legendItem(e), 0) + (targets.length > 0 ? 170 : 0);
  const plotWidth = Math.max(1, queries.length) * groupWidth;
  const width = Math.ceil(margin.left + Math.max(plotWidth, legendWidth) + margin.right);
  const height = margin.top + plotHeight + margin.bottom;
  const y = (value: number): number =>
    margin.top + plotHeight - ((Math.log10(value) - lowExp) / exps) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${margin.left}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  );
  // Grid lines and labels at powers of ten (and 2x, 5x as light lines).
  for (let e = lowExp; e <= highExp; e++) {
    const gy = y(10 ** e);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${gy.toFixed(1)}" y2="${gy.toFixed(1)}" stroke="#bbb"/>`,
      `<text x="${margin.left - 6}" y="${(gy + 4).toFixed(1)}" text-anchor="end">${label(10 ** e)}</text>`,
    );
    if (e < highExp)
      for (const m of [2, 5]) {
        const my = y(m * 10 ** e);
        parts.push(
          `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${my.toFixed(1)}" y2="${my.toFixed(1)}" stroke="#eee"/>`,
        );
      }
  }
  parts.push(
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">events/s per core</text>`,
  );
  const byKey = new Map(points.map((p) => [`${p.query}|${p.engine}`, p.value]));
  queries.forEach((q, qi) => {
    const gx = margin.left + qi * groupWidth + groupGap / 2;
    engines.forEach((engine, ei) => {
      const value = byKey.get(`${q}|${engine}`);
      if (value === undefined) return;
      const top = y(value);
      const x = gx + ei * barWidth;
      parts.push(
        `<rect x="${x}" y="${top.toFixed(1)}" width="${barWidth - 1}" height="${(margin.top + plotHeight - top).toFixed(1)}" fill="${COLORS[engine] ?? '#888'}"><title>${escapeXml(`${q} ${engine}: ${Math.round(value).toLocaleString('en-US')} events/s/core`)}</title></rect>`,
      );
    });
    const target = TARGETS[q];
    if (target !== undefined) {
      const ty = y(target);
      parts.push(
        `<line x1="${gx - 2}" x2="${gx + engines.length * barWidth + 1}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#000" stroke-dasharray="3 2"><title>${q} target ${compact(target)} events/s/core (rivulet-memory)</title></line>`,
      );
    }
    parts.push(
      `<text x="${gx + (engines.length * barWidth) / 2}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${q}</text>`,
    );
  });
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#000"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="#000"/>`,
  );
  // Legend under the axis.
  let lx = margin.left;
  const ly = margin.top + plotHeight + 40;
  for (const engine of engines) {
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[engine] ?? '#888'}"/>`,
      `<text x="${lx + 14}" y="${ly}">${escapeXml(engine)}</text>`,
    );
    lx += legendItem(engine);
  }
  if (targets.length > 0) {
    parts.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="#000" stroke-dasharray="3 2"/>`,
      `<text x="${lx + 20}" y="${ly}">target (rivulet-memory)</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) {
    process.stderr.write('usage: npx tsx bench/nexmark/render-chart.ts results.jsonl out.svg\n');
    process.exit(1);
  }
  const points = chartPoints(readFileSync(input, 'utf8'));
  if (points.length === 0) {
    process.stderr.write(
      `${input}: no nexmark events/s/core lines (make it with npm run -s bench -- nexmark --json)\n`,
    );
    process.exit(1);
  }
  writeFileSync(output, renderChart(points));
  process.stderr.write(
    `${output}: ${new Set(points.map((p) => p.query)).size} queries, ${new Set(points.map((p) => p.engine)).size} engines\n`,
  );
}
