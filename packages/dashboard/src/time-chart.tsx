import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  stroke: string;
  /** A dashed line (uPlot's `dash`). */
  dash?: number[];
}

interface Props {
  title: string;
  series: ChartSeries[];
  /** [x (epoch seconds), ...one array per series], aligned. */
  data: (number | null)[][];
  /** How the y axis reads: records/s, an epoch-ms time (watermarks), or a duration in ms (latency). */
  unit: 'rate' | 'time' | 'ms';
  height?: number;
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

const isDecade = (v: number): boolean => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;

/** A latency axis label: µs below 1 ms, s from 1 s. */
const duration = (ms: number): string =>
  ms >= 1000 ? `${ms / 1000} s` : ms >= 1 ? `${ms} ms` : `${Math.round(ms * 1000)} µs`;

/** The last few points of every series, as a string: what a test reads to see a chart move. */
const tail = (data: (number | null)[][]): string => JSON.stringify(data.map((column) => column.slice(-10)));

/**
 * A uPlot line chart that follows its container's width. The plot is made once per series set and then
 * fed with setData, so live updates do not rebuild it; it is destroyed on unmount. Labels are set by
 * uPlot as text (textContent).
 */
export function TimeChart({ title, series, data, unit, height = 160 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const seriesKey = JSON.stringify(series);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const yValues =
      unit === 'time'
        ? (_: uPlot, splits: number[]) => splits.map((s) => clock(s))
        : unit === 'ms'
          ? // Log scale: uPlot splits every decade into 1..9; only the decades get a label.
            (_: uPlot, splits: number[]) => splits.map((s) => (isDecade(s) ? duration(s) : ''))
          : (_: uPlot, splits: number[]) =>
              splits.map((s) => (s >= 1000 ? `${(s / 1000).toFixed(1)}k` : `${s}`));
    const chart = new uPlot(
      {
        title,
        width: Math.max(element.clientWidth, 200),
        height,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: 2,
            spanGaps: false,
            ...(s.dash === undefined ? {} : { dash: s.dash }),
          })),
        ],
        axes: [{}, { values: yValues, size: unit === 'rate' ? 50 : 70 }],
        scales: {
          y:
            unit === 'rate'
              ? { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }
              : unit === 'ms'
                ? { distr: 3, log: 10 }
                : {},
        },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      data as uPlot.AlignedData,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
  }, [seriesKey, title, unit, height]);
  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  return <div class="chart" ref={box} data-testid="chart" data-title={title} data-series={tail(data)} />;
}
