import { type GeneratorSource, generatorSource } from '../dsl/index.ts';
import { type NexmarkConfig, nexmarkConfig } from './nexmark-config.ts';
import type { NexmarkEvent } from './nexmark-event.ts';
import { NexmarkGenerator, splitEvents } from './nexmark-generator.ts';

/**
 * The Nexmark generator as an in-process source (the way the published runs generate their input):
 * one partition per split, each generating its events where its task runs, by position (so a restart
 * resumes exactly). Bounded by `events` (0 = unbounded); its end closes every window downstream.
 */
export function nexmarkSource(options: Partial<NexmarkConfig> = {}): GeneratorSource<NexmarkEvent> {
  const config = nexmarkConfig(options);
  return generatorSource({
    partitions: config.splits,
    size: (split) => splitEvents(config, split),
    open: (split) => {
      const generator = new NexmarkGenerator(config, split);
      return {
        read(from, count, out) {
          for (let i = 0; i < count; i++) out.push(generator.eventAt(from + i));
        },
      };
    },
  });
}
