import type { LateTopic } from './api-types.ts';
import { RecordTable } from './record-table.tsx';
import { useRecentRecords } from './use-recent-records.ts';
import { useResource } from './use-resource.ts';

/** (f) Late records: the recent records of every topic a window's `late` output feeds (GET /api/late). */
export function LateView() {
  const late = useResource<{ topics: LateTopic[] }>('/api/late', 5000);
  const list = late.data?.topics ?? [];
  const { records, error } = useRecentRecords(list.map((t) => t.topic));
  return (
    <div>
      <section class="card">
        <h2>Late-record topics</h2>
        {late.error === undefined ? null : <p class="error-text">{late.error.message}</p>}
        {list.length === 0 ? (
          <p class="muted">No running pipeline routes a window's late records to a topic.</p>
        ) : (
          <ul>
            {list.map((t) => (
              <li key={`${t.pipeline}/${t.topic}`}>
                <b>{t.topic}</b>: late records of window {t.operator} in pipeline {t.pipeline} ({t.records}{' '}
                records)
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card">
        <h2>Recent late records</h2>
        {error === undefined ? null : <p class="error-text">{error.message}</p>}
        <RecordTable records={records} showTopic empty="No late records." />
      </section>
    </div>
  );
}
