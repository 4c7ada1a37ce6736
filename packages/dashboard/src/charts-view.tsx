import { pipelineName } from './api-types.ts';
import type { HistoryPoint } from './live-history.ts';
import { latencySeries, operatorKey } from './live-history.ts';
import { TimeChart } from './time-chart.tsx';
import { useLive } from './use-live.ts';

const COLOURS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b', '#975a16'];

function throughput(points: readonly HistoryPoint[], key: string): (number | null)[][] {
  return [
    points.map((p) => p.time / 1000),
    points.map((p) => p.rates.get(key)?.inPerSecond ?? null),
    points.map((p) => p.rates.get(key)?.outPerSecond ?? null),
  ];
}

function watermarks(points: readonly HistoryPoint[], pipeline: string, names: string[]): (number | null)[][] {
  return [
    points.map((p) => p.time / 1000),
    ...names.map((name) => points.map((p) => p.watermarks.get(pipeline)?.get(name) ?? null)),
  ];
}

/** [x, ...one array per series name] of a pipeline's latency percentiles. */
function latencies(points: readonly HistoryPoint[], pipeline: string, names: string[]): (number | null)[][] {
  return [
    points.map((p) => p.time / 1000),
    ...names.map((name) => points.map((p) => p.latency.get(pipeline)?.get(name) ?? null)),
  ];
}

/** The latency series of a pipeline: step p50/p99, then p50/p99 of each sink. */
function latencyNames(
  snapshot: { latency?: { pipeline: string; sinks: { operator: string }[] }[] },
  pipeline: string,
) {
  const entry = (snapshot.latency ?? []).find((l) => l.pipeline === pipeline);
  if (entry === undefined) return [];
  const sources = ['step', ...entry.sinks.map((s) => s.operator).sort()];
  return sources.flatMap((s) => [latencySeries(s, 'p50'), latencySeries(s, 'p99')]);
}

/**
 * (b) Per pipeline: a latency chart (p50 and p99 of step processing time and of each sink's end-to-end
 * latency over each second, log scale), one throughput chart per operator (records/s in and out over the last five minutes,
 * from successive /api/live snapshots) and one chart of its watermarks (event time as of each checkpoint).
 */
export function ChartsView() {
  const { snapshot, history } = useLive();
  if (snapshot === undefined) return <p class="muted">Waiting for the live feed…</p>;
  const operators = new Map<string, Set<string>>();
  for (const op of snapshot.operators) {
    const set = operators.get(op.pipeline) ?? new Set<string>();
    set.add(op.operator);
    operators.set(op.pipeline, set);
  }
  const points = history.points;
  return (
    <div>
      {snapshot.pipelines.map((status) => {
        const name = pipelineName(status);
        const wmNames = Object.keys(status.watermarks ?? {}).sort();
        const latencyNamesOf = latencyNames(snapshot, name);
        return (
          <section class="card" key={name}>
            <h2>{name}</h2>
            <div class="chart-grid">
              {latencyNamesOf.length === 0 ? null : (
                <TimeChart
                  title="latency (ms)"
                  unit="ms"
                  height={220}
                  series={latencyNamesOf.map((n, i) => ({
                    label: n,
                    stroke: COLOURS[Math.floor(i / 2) % COLOURS.length]!,
                    ...(n.endsWith('p50') ? {} : { dash: [6, 4] }),
                  }))}
                  data={latencies(points, name, latencyNamesOf)}
                />
              )}
              {wmNames.length === 0 ? null : (
                <TimeChart
                  title="watermarks"
                  unit="time"
                  series={wmNames.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length]! }))}
                  data={watermarks(points, name, wmNames)}
                />
              )}
              {[...(operators.get(name) ?? [])].sort().map((operator) => (
                <TimeChart
                  key={operator}
                  title={`${operator} records/s`}
                  unit="rate"
                  series={[
                    { label: 'in', stroke: COLOURS[0]! },
                    { label: 'out', stroke: COLOURS[1]! },
                  ]}
                  data={throughput(points, operatorKey(name, operator))}
                />
              ))}
            </div>
          </section>
        );
      })}
    </div>
  );
}
