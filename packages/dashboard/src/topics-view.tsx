import { useState } from 'preact/hooks';
import type { TopicDetail, TopicSummary } from './api-types.ts';
import { segment } from './fetch-json.ts';
import { formatBytes, formatCount } from './format-value.ts';
import { RecordTable } from './record-table.tsx';
import { useLive } from './use-live.ts';
import { useResource } from './use-resource.ts';
import { useTail } from './use-tail.ts';

function TopicPanel({ name }: { name: string }) {
  const { snapshot } = useLive();
  const detail = useResource<TopicDetail>(`/api/topics/${segment(name)}`, 5000);
  const live = snapshot?.topics.find((t) => t.name === name);
  const [from, setFrom] = useState<'latest' | 'earliest'>('latest');
  const tail = useTail([name], from, 100);
  return (
    <section class="card" data-testid="topic-panel">
      <h2>{name}</h2>
      {detail.error === undefined ? null : <p class="error-text">{detail.error.message}</p>}
      <table class="partitions">
        <thead>
          <tr>
            <th class="num">partition</th>
            <th class="num">log start</th>
            <th class="num">high watermark</th>
            <th class="num">records</th>
            <th class="num">size</th>
          </tr>
        </thead>
        <tbody>
          {(detail.data?.partitions ?? []).map((p) => {
            // Sizes and ends move every second in the live snapshot; the log start comes from the topic.
            const now = live?.partitions.find((l) => l.partition === p.partition);
            const hw = now?.highWatermark ?? p.highWatermark;
            return (
              <tr key={p.partition}>
                <td class="num">{p.partition}</td>
                <td class="num">{formatCount(p.logStartOffset)}</td>
                <td class="num">{formatCount(hw)}</td>
                <td class="num">{formatCount(hw - p.logStartOffset)}</td>
                <td class="num">{formatBytes(now?.sizeBytes ?? p.sizeBytes)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>
        Live tail{' '}
        <select
          value={from}
          onChange={(e) => setFrom((e.currentTarget as HTMLSelectElement).value as 'latest' | 'earliest')}
        >
          <option value="latest">from latest</option>
          <option value="earliest">from earliest</option>
        </select>{' '}
        <span class={`socket socket-${tail.socket}`}>{tail.socket}</span>
      </h3>
      <div data-testid="topic-tail" class="tail-scroll">
        <RecordTable records={tail.records} empty="Waiting for records…" />
      </div>
    </section>
  );
}

/** (c) Topics with their partitions (offsets, sizes) and a live tail of the chosen one. */
export function TopicsView() {
  const topics = useResource<{ topics: TopicSummary[] }>('/api/topics', 5000);
  const [showInternal, setShowInternal] = useState(false);
  const [chosen, setChosen] = useState<string | undefined>(
    () => new URLSearchParams(location.hash.split('?')[1]).get('topic') ?? undefined,
  );
  const list = (topics.data?.topics ?? []).filter((t) => showInternal || !t.internal);
  return (
    <div class="split">
      <nav class="list" data-testid="topic-list">
        <label class="muted">
          <input
            type="checkbox"
            checked={showInternal}
            onChange={(e) => setShowInternal((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          internal topics
        </label>
        {topics.error === undefined ? null : <p class="error-text">{topics.error.message}</p>}
        {list.map((t) => (
          <button
            type="button"
            key={t.name}
            class={t.name === chosen ? 'item active' : 'item'}
            data-topic={t.name}
            onClick={() => setChosen(t.name)}
          >
            {t.name} <span class="muted">({t.partitions})</span>
          </button>
        ))}
      </nav>
      <div class="grow">
        {chosen === undefined ? (
          <p class="muted">Choose a topic.</p>
        ) : (
          <TopicPanel key={chosen} name={chosen} />
        )}
      </div>
    </div>
  );
}
