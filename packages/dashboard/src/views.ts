/** The dashboard's views, in sidebar order; `#/<id>` selects one. */
export const VIEWS = [
  { id: 'topology', title: 'Topology' },
  { id: 'charts', title: 'Charts' },
  { id: 'topics', title: 'Topics' },
  { id: 'state', title: 'State' },
  { id: 'dlq', title: 'Dead letters' },
  { id: 'late', title: 'Late records' },
  { id: 'alerts', title: 'Alerts' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

/** The view a location hash names (`#/topics?topic=x` -> topics); the topology for anything else. */
export function viewOf(hash: string): ViewId {
  const id = hash.replace(/^#\/?/, '').split('?')[0];
  return VIEWS.find((v) => v.id === id)?.id ?? 'topology';
}
