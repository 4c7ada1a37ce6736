import type { DlqTopic } from './api-types.ts';
import { formatTime } from './format-value.ts';
import { DEAD_LETTER_HEADERS as H, recordHeaders } from './record-headers.ts';
import { clip } from './shown-record.ts';
import { useRecentRecords } from './use-recent-records.ts';
import { useResource } from './use-resource.ts';

/**
 * (e) Dead letters: the recent records of every dead-letter topic of the running pipelines (GET /api/dlq),
 * with the error code and message, the operator and boundary, and the source topic/partition/offset
 * from the `rivulet.*` headers the engine writes (runtime/error-policy.ts). Text only.
 */
export function DlqView() {
  const dlq = useResource<{ topics: DlqTopic[] }>('/api/dlq', 5000);
  const topics = (dlq.data?.topics ?? []).map((t) => t.topic);
  const { records, error } = useRecentRecords(topics);
  return (
    <div>
      <section class="card">
        <h2>Dead-letter topics</h2>
        {dlq.error === undefined ? null : <p class="error-text">{dlq.error.message}</p>}
        {(dlq.data?.topics ?? []).length === 0 ? (
          <p class="muted">No running pipeline has a deadLetter error policy.</p>
        ) : (
          <ul>
            {dlq.data!.topics.map((t) => (
              <li key={`${t.pipeline}/${t.topic}`}>
                <b>{t.topic}</b> of pipeline {t.pipeline}: {t.records} records
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card">
        <h2>Recent dead letters</h2>
        {error === undefined ? null : <p class="error-text">{error.message}</p>}
        {records.length === 0 ? (
          <p class="muted">No dead letters.</p>
        ) : (
          <table class="records" data-testid="dlq-table">
            <thead>
              <tr>
                <th>dead-letter record</th>
                <th>error</th>
                <th>source</th>
                <th>operator / boundary</th>
                <th>key</th>
                <th>value</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => {
                const h = recordHeaders(r.headers);
                return (
                  <tr key={`${r.topic}/${r.partition}/${r.offset}`} data-testid="dlq-row">
                    <td>
                      {r.topic} {r.partition}:{r.offset}
                      <div class="muted">{formatTime(r.timestamp)}</div>
                    </td>
                    <td class="text">
                      <b data-testid="dlq-code">{h.get(H.errorCode) ?? '?'}</b>
                      <div data-testid="dlq-message">{clip(h.get(H.errorMessage) ?? '')}</div>
                    </td>
                    <td data-testid="dlq-source">
                      {h.get(H.sourceTopic) ?? '?'} {h.get(H.sourcePartition) ?? '?'}:
                      {h.get(H.sourceOffset) ?? '?'}
                    </td>
                    <td class="text">
                      {h.get(H.operator) || '–'} / {h.get(H.boundary) ?? '?'}
                    </td>
                    <td class="text" data-testid="record-key">
                      {clip(r.key)}
                    </td>
                    <td class="text" data-testid="record-value">
                      {clip(r.value)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
