import { custom, type Format } from '../dsl/index.ts';
import { nexmarkBinarySerde } from './nexmark-binary-serde.ts';
import type { NexmarkEvent } from './nexmark-event.ts';

/** Nexmark events in the compact binary encoding (`rivulet nexmark generate --format binary`), as a topic's value format. */
export function nexmarkBinary(): Format<NexmarkEvent> {
  return custom(nexmarkBinarySerde);
}
