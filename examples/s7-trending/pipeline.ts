/**
 * S7, trending now: plays `{ movieId, genre, ts }` arrive on 'plays'.
 * - Every play updates its movie's decaying score (each play counts 2^(-age / 1 hour)), written to
 *   'movie-scores'; the ten movies with the highest scores go to 'trending' whenever that list changes.
 * - Per genre and hour of event time, the three most played movies go to 'top-per-genre' when the hour
 *   closes (a count per movie and hour, then a top-3 per genre over those counts).
 *
 *   rivulet topics create plays --partitions 2
 *   rivulet run examples/s7-trending/pipeline.ts
 */
import { boundedOutOfOrder, decaying, json, pipeline, topic, tumbling } from 'rivulet';
import { z } from 'zod';

export const Play = z.object({
  movieId: z.string(),
  genre: z.string(),
  ts: z.number().int().nonnegative(),
});

export const HALF_LIFE = 3_600_000;
export const HOUR = 3_600_000;
export const TOP = 10;
export const TOP_PER_GENRE = 3;

/** A movie's standing: its score as of `at`. Scores fade alike, so log2(score) + at / halfLife ranks them at any time. */
interface Standing {
  score: number;
  at: number;
}

export function trendingPipeline() {
  const s7 = pipeline('trending');
  const plays = s7
    .from('plays', topic('plays', json(Play)))
    .eventTime((p) => p.ts, boundedOutOfOrder('30s', { idleTimeout: '1m' }));

  const scores = plays
    .keyBy((p) => p.movieId)
    .window(decaying(HALF_LIFE), { emit: 'updates' })
    .count('movie-score');
  scores.to('scores-out', topic('movie-scores', json()));
  scores
    .keyBy(() => 'all')
    .process(
      'top-movies',
      {
        process(result, ctx) {
          const board = ctx.state<Record<string, Standing>>('board');
          const standings = board.get() ?? {};
          standings[result.key] = { score: result.value, at: result.window.end - 1 };
          board.set(standings);
          const last = ctx.state<string[]>('last');
          const rank = (s: Standing) => Math.log2(s.score) + s.at / HALF_LIFE;
          const top = Object.entries(standings)
            .sort((a, b) => rank(b[1]) - rank(a[1]) || (a[0] < b[0] ? -1 : 1))
            .slice(0, TOP);
          const ids = top.map(([id]) => id);
          if (JSON.stringify(ids) === JSON.stringify(last.get() ?? [])) return undefined;
          last.set(ids);
          const now = Math.max(...Object.values(standings).map((s) => s.at));
          return [
            {
              at: now,
              top: top.map(([movieId, s]) => ({
                movieId,
                score: s.score * 2 ** (-(now - s.at) / HALF_LIFE),
              })),
            },
          ];
        },
      },
      { stores: [{ name: 'board' }, { name: 'last' }] },
    )
    .to('trending-out', topic('trending', json()));

  plays
    .keyBy((p) => `${p.genre}|${p.movieId}`)
    .window(tumbling(HOUR))
    .count('plays-per-hour')
    .keyBy((w) => w.key.split('|')[0]!)
    .window(tumbling(HOUR))
    .topN('top-per-genre', TOP_PER_GENRE, (w) => w.value)
    .map((w) => ({
      genre: w.key,
      hour: w.window.start,
      top: w.value.map((m) => ({ movieId: m.key.split('|')[1]!, plays: m.value })),
    }))
    .to('genre-out', topic('top-per-genre', json()));
  return s7;
}

export default trendingPipeline();
