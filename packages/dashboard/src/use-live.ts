import { useContext } from 'preact/hooks';
import { LiveContext, type LiveData } from './live-context.ts';

/** The live data the app provides (see use-live-feed.ts). */
export function useLive(): LiveData {
  const live = useContext(LiveContext);
  if (live === undefined) throw new Error('useLive outside LiveContext');
  return live;
}
