import { tumbling } from '../../dsl/index.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

/** A person (with a name) or an auction's seller, both under the person's id. */
interface PersonOrSeller {
  id: number;
  name: string | undefined;
}

interface Seen {
  name: string | undefined;
  sold: boolean;
}

/**
 * New users who opened an auction: per tumbling 10 s window, the people who registered and created an
 * auction in that same window (a window join of persons by id and auctions by seller).
 */
export const q8: NexmarkQuery = {
  name: 'q8',
  output: 'append',
  build: ({ persons, auctions }) =>
    persons
      .map((p): PersonOrSeller => ({ id: p.id, name: p.name }))
      .merge(auctions.map((a): PersonOrSeller => ({ id: a.seller, name: undefined })))
      .keyBy((e) => e.id)
      .window(tumbling('10s'))
      .aggregate(
        'q8-window',
        (): Seen => ({ name: undefined, sold: false }),
        (seen, e) =>
          e.name === undefined ? { name: seen.name, sold: true } : { name: e.name, sold: seen.sold },
      )
      .flatMap((r) =>
        r.value.sold && r.value.name !== undefined
          ? [{ id: r.key, name: r.value.name, starttime: r.window.start }]
          : [],
      ),
};
