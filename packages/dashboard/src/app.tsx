import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlertsView } from './alerts-view.tsx';
import { ChartsView } from './charts-view.tsx';
import { DlqView } from './dlq-view.tsx';
import { LateView } from './late-view.tsx';
import { LiveContext } from './live-context.ts';
import { Sidebar } from './sidebar.tsx';
import { StateView } from './state-view.tsx';
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

/** The single page: a sidebar and the view the location hash names, all fed by one live socket. */
export function App() {
  const live = useLiveFeed();
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
          <h1>{VIEWS.find((v) => v.id === view)?.title}</h1>
          <View />
        </main>
      </div>
    </LiveContext.Provider>
  );
}
