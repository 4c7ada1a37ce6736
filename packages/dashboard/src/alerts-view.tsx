import type { AlertTopic } from './api-types.ts';
import { RecordTable } from './record-table.tsx';
import { useResource } from './use-resource.ts';
import { useTail } from './use-tail.ts';

/**
 * (g) Alerts: the topics fed by `crosses` and `silence` operators (GET /api/alerts), tailed live from
 * their start, newest first.
 */
export function AlertsView() {
  const alerts = useResource<{ topics: AlertTopic[] }>('/api/alerts', 10_000);
  const list = alerts.data?.topics ?? [];
  const tail = useTail(
    list.map((t) => t.topic),
    'earliest',
    200,
  );
  return (
    <div>
      <section class="card">
        <h2>Alert topics</h2>
        {alerts.error === undefined ? null : <p class="error-text">{alerts.error.message}</p>}
        {list.length === 0 ? (
          <p class="muted">No running pipeline has a crosses or silence operator feeding a topic.</p>
        ) : (
          <ul>
            {list.map((t) => (
              <li key={`${t.pipeline}/${t.topic}`}>
                <b>{t.topic}</b>: {t.operator} in pipeline {t.pipeline}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" data-testid="alerts-feed">
        <h2>Alert feed</h2>
        <RecordTable records={tail.records} showTopic empty="No alerts yet." />
      </section>
    </div>
  );
}
