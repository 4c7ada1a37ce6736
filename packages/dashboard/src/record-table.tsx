import { formatTime } from './format-value.ts';
import { recordHeaders } from './record-headers.ts';
import { clip, type ShownRecord } from './shown-record.ts';

interface Props {
  records: readonly ShownRecord[];
  /** Show the topic column (views listing several topics). */
  showTopic?: boolean;
  empty?: string;
}

/** Records as a table. Keys, values and headers are user data: rendered as text nodes only. */
export function RecordTable({ records, showTopic = false, empty = 'No records.' }: Props) {
  if (records.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="records" data-testid="record-table">
      <thead>
        <tr>
          {showTopic ? <th>topic</th> : null}
          <th>partition</th>
          <th>offset</th>
          <th>time</th>
          <th>key</th>
          <th>value</th>
          <th>headers</th>
        </tr>
      </thead>
      <tbody>
        {records.map((r) => (
          <tr key={`${r.topic}/${r.partition}/${r.offset}`} data-testid="record-row">
            {showTopic ? <td>{r.topic}</td> : null}
            <td class="num">{r.partition}</td>
            <td class="num">{r.offset}</td>
            <td>{formatTime(r.timestamp)}</td>
            <td class="text" title={r.key ?? 'null'} data-testid="record-key">
              {clip(r.key)}
            </td>
            <td class="text" title={r.value ?? 'null'} data-testid="record-value">
              {clip(r.value)}
            </td>
            <td class="text">
              {[...recordHeaders(r.headers)].map(([k, v]) => (
                <div key={k}>
                  <span class="header-key">{k}</span>: {clip(v)}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
