import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HALF_LIFE,
  HOUR,
  TOP,
  TOP_PER_GENRE,
  trendingPipeline,
} from '../../../../examples/s7-trending/pipeline.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S7 through the test driver: 3,000 plays of 60 movies in 4 genres over five hours of event time (up to
 * 20 s out of order), popularity drifting. Every movie's last score must be its plays decayed to its
 * latest play; the last trending list the ten highest scores at the last play; every closed hour's top 3
 * per genre a plain count (ties: the movie whose key sorts first).
 */
test('S7 trending: decaying scores and hourly top plays per genre equal plain loops', () => {
  const random = new SeededRandom(faultSeed('s7-trending'));
  const movies = Array.from({ length: 60 }, (_, i) => ({ movieId: `m${i}`, genre: `g${i % 4}` }));
  const start = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);
  const plays: Array<{ movieId: string; genre: string; ts: number }> = [];
  let clock = start;
  for (let i = 0; i < 3000; i++) {
    clock += random.between(1_000, 11_000);
    // Popularity drifts: the favoured third of the catalogue shifts every 1,000 plays.
    const favoured = Math.floor(i / 1000) * 20;
    const pick = random.chance(0.7) ? favoured + random.int(20) : random.int(60);
    plays.push({ ...movies[pick]!, ts: clock - random.between(0, 20_000) });
  }
  const driver = new TestDriver(trendingPipeline());
  for (const p of plays) driver.pipeInput('plays', p);
  const lastPlay = Math.max(...plays.map((p) => p.ts));
  driver.pipeInput('plays', { movieId: 'flush', genre: 'flush', ts: lastPlay + 3 * HOUR });

  // Scores: each movie's last score is its plays decayed to its latest play.
  const latest = new Map<string, number>();
  for (const p of plays) latest.set(p.movieId, Math.max(latest.get(p.movieId) ?? 0, p.ts));
  const expectedScore = new Map<string, number>();
  for (const p of plays)
    expectedScore.set(
      p.movieId,
      (expectedScore.get(p.movieId) ?? 0) + 2 ** (-(latest.get(p.movieId)! - p.ts) / HALF_LIFE),
    );
  const lastScore = new Map<string, { value: number; at: number }>();
  for (const r of driver.readOutput('movie-scores')) {
    const w = r.value as { key: string; window: { end: number }; value: number };
    lastScore.set(w.key, { value: w.value, at: w.window.end - 1 });
  }
  lastScore.delete('flush');
  assert.equal(lastScore.size, expectedScore.size);
  for (const [movie, expected] of expectedScore) {
    const got = lastScore.get(movie)!;
    assert.equal(got.at, latest.get(movie));
    assert.ok(Math.abs(got.value - expected) < 1e-9 * expected, `${movie}: ${got.value} vs ${expected}`);
  }
  // Trending: the list only changes by being emitted, so the last one before the flush play is the
  // ten highest scores decayed to a common time (the last play's).
  const end = Math.max(...plays.map((p) => p.ts));
  const atEnd = [...expectedScore].map(([id, s]): [string, number] => [
    id,
    s * 2 ** (-(end - latest.get(id)!) / HALF_LIFE),
  ]);
  const expectedTop = atEnd.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
  const lists = driver
    .readOutput('trending')
    .map((r) => r.value as { at: number; top: Array<{ movieId: string; score: number }> });
  const last = lists.filter((l) => l.top.every((m) => m.movieId !== 'flush')).at(-1)!;
  assert.ok(lists.length > 5, `the list changed only ${lists.length} times`);
  assert.deepEqual(
    last.top.map((m) => m.movieId),
    expectedTop.map(([id]) => id),
  );

  // Hourly top 3 per genre.
  const counts = new Map<string, number>();
  for (const p of plays) {
    const id = `${p.genre}|${p.ts - (p.ts % HOUR)}|${p.movieId}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const perGenreHour = new Map<string, Array<{ key: string; plays: number }>>();
  for (const [id, n] of counts) {
    const [genre, hour, movieId] = id.split('|');
    const slot = `${genre}|${hour}`;
    perGenreHour.set(slot, [...(perGenreHour.get(slot) ?? []), { key: `${genre}|${movieId}`, plays: n }]);
  }
  const expectedGenre = [...perGenreHour].map(([slot, list]) => {
    const [genre, hour] = slot.split('|');
    const top = [...list]
      .sort((a, b) => b.plays - a.plays || (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1))
      .slice(0, TOP_PER_GENRE)
      .map((m) => ({ movieId: m.key.split('|')[1], plays: m.plays }));
    return JSON.stringify({ genre, hour: Number(hour), top });
  });
  const genreResults = driver
    .readOutput('top-per-genre')
    .map((r) => JSON.stringify(r.value))
    .filter((s) => !s.includes('"flush"'));
  assert.deepEqual(genreResults.sort(), expectedGenre.sort());
  console.log(
    `[s7-trending] ${plays.length} plays, ${lists.length} trending lists, ${genreResults.length} genre-hours: = reference`,
  );
});
