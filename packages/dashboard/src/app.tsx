import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlertsView } from './alerts-view.tsx';
import { onUnauthorized } from './auth-token.ts';
import { ChartsView } from './charts-view.tsx';
import { DlqView } from './dlq-view.tsx';
import { fetchJson } from './fetch-json.ts';
import { LateView } from './late-view.tsx';
import { LiveContext } from './live-context.ts';
import { Sidebar } from './sidebar.tsx';
import { StateView } from './state-view.tsx';
import { TokenForm } from './token-form.tsx';
import { TopicsView } from './topics-view.tsx';
import { TopologyView } from './topology-view.tsx';
import { useLiveFeed } from './use-live-feed.ts';
import { VIEWS, type ViewId, viewOf } from './views.ts';

const VIEW_COMPONENTS: Record<ViewId, ComponentType> = {
  topology: TopologyView,
  charts: ChartsView,
  topics: TopicsView,
  state: StateView,
  dlq: DlqView,
  late: LateView,
  alerts: AlertsView,
};

/**
 * The single page: a sidebar and the view the location hash names, all fed by one live socket. When an
 * API call answers 401 (the server has a read token), a token form is shown above the view. A socket
 * refused for its token only closes (browsers hide the 401), so while the live feed is not open the
 * page asks `GET /api/pipelines`, whose 401 brings the form.
 */
export function App() {
  const live = useLiveFeed();
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  useEffect(() => {
    if (live.socket === 'open') return;
    const controller = new AbortController();
    fetchJson('/api/pipelines', controller.signal).catch(() => undefined);
    return () => controller.abort();
  }, [live.socket]);
  const [view, setView] = useState<ViewId>(() => viewOf(location.hash));
  useEffect(() => {
    const onHash = () => setView(viewOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const View = VIEW_COMPONENTS[view];
  return (
    <LiveContext.Provider value={live}>
      <div class="layout">
        <Sidebar current={view} socket={live.socket} />
        <main data-testid={`view-${view}`}>
          {needsToken ? <TokenForm /> : null}
          <h1>{VIEWS.find((v) => v.id === view)?.title}</h1>
          <View />
        </main>
      </div>
    </LiveContext.Provider>
  );
}
