import type { MachineInfo } from './machine-info.ts';
import type { BarVerdict, BenchResult, SuiteReport } from './suite.ts';

/** Rounds for display and JSON: integers from 100 up, else three significant digits. */
export function roundValue(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

function roundRatio(ratio: number): number {
  return Math.round(ratio * 100) / 100;
}

/** The result as one line of JSON in the DESIGN.md §7 shape (baseline fields only when present). */
export function resultJson(result: BenchResult): string {
  const line: BenchResult = {
    suite: result.suite,
    case: result.case,
    metric: result.metric,
    value: roundValue(result.value),
  };
  if (result.baseline !== undefined && result.baselineValue !== undefined && result.ratio !== undefined) {
    line.baseline = result.baseline;
    line.baselineValue = roundValue(result.baselineValue);
    line.ratio = roundRatio(result.ratio);
  }
  return JSON.stringify(line);
}

export function machineLines(machine: MachineInfo): string[] {
  return [
    `machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
      `Node ${machine.node} (${machine.platform})`,
  ];
}

function formatNumber(value: number): string {
  const rounded = roundValue(value);
  return Math.abs(rounded) >= 1000 ? rounded.toLocaleString('en-US') : String(rounded);
}

function table(
  header: readonly string[],
  rows: readonly string[][],
  rightAligned: ReadonlySet<number>,
): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)];
}

/** The human table: one row per (case, metric, baseline), ratios beside their baselines. */
export function resultTable(results: readonly BenchResult[]): string[] {
  const rows = results.map((r) => [
    r.case,
    r.metric,
    formatNumber(r.value),
    r.baseline ?? '',
    r.baselineValue === undefined ? '' : formatNumber(r.baselineValue),
    r.ratio === undefined ? '' : `${roundRatio(r.ratio).toFixed(2)}x`,
  ]);
  return table(
    ['case', 'metric', 'median', 'baseline', 'baseline median', 'ratio'],
    rows,
    new Set([2, 4, 5]),
  );
}

export function barLines(bars: readonly BarVerdict[]): string[] {
  return bars.map((bar) => {
    const verdict = bar.pass === undefined ? 'N/A ' : bar.pass ? 'PASS' : 'MISS';
    return `${verdict}  ${bar.name}: ${bar.rule}\n      measured: ${bar.measured}`;
  });
}

/** Everything a person reads at the end of a run. */
export function humanReport(report: SuiteReport): string[] {
  const lines = [...resultTable(report.results), ''];
  if (report.bars.length > 0) lines.push('bars (medians of this run):', ...barLines(report.bars), '');
  if (report.notes.length > 0) lines.push('notes:', ...report.notes.map((n) => `- ${n}`), '');
  return lines;
}
