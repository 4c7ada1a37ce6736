import { useState } from 'preact/hooks';
import { ApiError, fetchJson, segment } from './fetch-json.ts';
import { formatTime } from './format-value.ts';
import { clip } from './shown-record.ts';

interface WindowsAnswer {
  key: unknown;
  windows: { window: { start: number; end: number }; value: unknown }[];
}

const show = (v: unknown): string => clip(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/**
 * A windowed aggregation's store: the open windows of one key (GET /windows/:name/:key), each with the
 * value its result would have if no more records came. Window stores are not scanned.
 */
export function WindowBrowser({ store }: { store: string }) {
  const [key, setKey] = useState('');
  const [answer, setAnswer] = useState<WindowsAnswer | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const fetchWindows = async () => {
    setError(undefined);
    try {
      setAnswer(await fetchJson<WindowsAnswer>(`/windows/${segment(store)}/${segment(key)}`));
    } catch (e) {
      setAnswer(undefined);
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
    }
  };
  return (
    <section class="card" data-testid="window-browser">
      <h2>{store}</h2>
      <p class="muted">
        A windowed aggregation: the open windows of a key as of the last checkpoint (a key is parsed as JSON
        when it parses).
      </p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (key !== '') void fetchWindows();
        }}
      >
        <label>
          key <input value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Windows</button>
      </form>
      {error === undefined ? null : <p class="error-text">{error}</p>}
      {answer === undefined ? null : answer.windows.length === 0 ? (
        <p class="muted">No open window.</p>
      ) : (
        <table class="records">
          <thead>
            <tr>
              <th>start</th>
              <th>end</th>
              <th>value</th>
            </tr>
          </thead>
          <tbody>
            {answer.windows.map((w) => (
              <tr key={w.window.start}>
                <td>{formatTime(w.window.start)}</td>
                <td>{formatTime(w.window.end)}</td>
                <td class="text">{show(w.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
