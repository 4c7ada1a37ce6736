import type { SocketState } from './reconnecting-socket.ts';
import { VIEWS, type ViewId } from './views.ts';

interface Props {
  current: ViewId;
  socket: SocketState;
}

/** Navigation between the views, and the live feed's connection state. */
export function Sidebar({ current, socket }: Props) {
  return (
    <aside class="sidebar">
      <div class="brand">Rivulet</div>
      <nav>
        {VIEWS.map((v) => (
          <a key={v.id} href={`#/${v.id}`} class={v.id === current ? 'active' : ''} data-view={v.id}>
            {v.title}
          </a>
        ))}
      </nav>
      <div class={`socket socket-${socket}`} data-testid="live-state">
        live: {socket}
      </div>
    </aside>
  );
}
