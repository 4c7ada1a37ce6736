import { useEffect, useState } from 'preact/hooks';
import { type PipelineDetail, pipelineName } from './api-types.ts';
import { ApiError, fetchJson, segment } from './fetch-json.ts';
import { formatCount } from './format-value.ts';
import { clip } from './shown-record.ts';
import { usePipelines } from './use-pipelines.ts';
import { useResource } from './use-resource.ts';
import { WindowBrowser } from './window-browser.tsx';

interface Entry {
  key: unknown;
  value: unknown;
}

const show = (v: unknown): string => clip(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

function StoreBrowser({ store }: { store: string }) {
  const [prefix, setPrefix] = useState('');
  const [limit, setLimit] = useState(100);
  const [key, setKey] = useState('');
  const [entries, setEntries] = useState<Entry[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (path: string, one: boolean) => {
    setError(undefined);
    try {
      if (one) setEntries([await fetchJson<Entry>(path)]);
      else setEntries((await fetchJson<{ entries: Entry[] }>(path)).entries);
    } catch (e) {
      setEntries(undefined);
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
    }
  };
  const scan = () => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (prefix !== '') query.set('prefix', prefix);
    void run(`/stores/${segment(store)}?${query}`, false);
  };
  // The first page is shown as soon as a store is chosen.
  useEffect(scan, []);
  return (
    <section class="card" data-testid="store-browser">
      <h2>{store}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          scan();
        }}
      >
        <label>
          prefix{' '}
          <input value={prefix} onInput={(e) => setPrefix((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          limit{' '}
          <input
            type="number"
            min={1}
            max={10000}
            value={limit}
            onInput={(e) => setLimit(Number((e.currentTarget as HTMLInputElement).value) || 100)}
          />
        </label>
        <button type="submit">Scan</button>
      </form>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (key !== '') void run(`/stores/${segment(store)}/${segment(key)}`, true);
        }}
      >
        <label>
          key <input value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Get</button>
      </form>
      <p class="muted">Committed state as of the pipeline's last checkpoint.</p>
      {error === undefined ? null : <p class="error-text">{error}</p>}
      {entries === undefined ? null : entries.length === 0 ? (
        <p class="muted">No entries.</p>
      ) : (
        <table class="records">
          <thead>
            <tr>
              <th>key</th>
              <th>value</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={i}>
                <td class="text">{show(e.key)}</td>
                <td class="text">{show(e.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A chosen store: its pipeline and name. */
interface Chosen {
  pipeline: string;
  store: string;
}

function ChosenStore({ chosen }: { chosen: Chosen }) {
  // Windowed aggregations keep their state in window stores, read per key (/windows); the graph says
  // which stores those are (a windowAggregate node's name is its store's).
  const detail = useResource<PipelineDetail>(`/api/pipelines/${segment(chosen.pipeline)}`);
  if (detail.data === undefined && detail.error === undefined) return <p class="muted">loading…</p>;
  const windowed = (detail.data?.graph.nodes ?? []).some(
    (n) => n.kind === 'windowAggregate' && n.name === chosen.store,
  );
  return windowed ? <WindowBrowser store={chosen.store} /> : <StoreBrowser store={chosen.store} />;
}

/**
 * (d) State browser: the stores of the running pipelines (their status' storeEntries, with entry
 * counts), key-value stores scanned by prefix or read by key, windowed aggregations read per key.
 */
export function StateView() {
  const pipelines = usePipelines();
  const [chosen, setChosen] = useState<Chosen | undefined>(undefined);
  return (
    <div class="split">
      <nav class="list">
        {pipelines.map((p) => (
          <div key={pipelineName(p)} class="list-group">
            <div class="list-heading">{pipelineName(p)}</div>
            {Object.entries(p.storeEntries ?? {}).map(([store, count]) => (
              <button
                type="button"
                key={store}
                class={
                  store === chosen?.store && pipelineName(p) === chosen.pipeline ? 'item active' : 'item'
                }
                data-store={store}
                onClick={() => setChosen({ pipeline: pipelineName(p), store })}
              >
                {store} <span class="muted">({formatCount(count)} entries)</span>
              </button>
            ))}
          </div>
        ))}
      </nav>
      <div class="grow">
        {chosen === undefined ? (
          <p class="muted">Choose a store.</p>
        ) : (
          <ChosenStore key={`${chosen.pipeline}\u0000${chosen.store}`} chosen={chosen} />
        )}
      </div>
    </div>
  );
}
