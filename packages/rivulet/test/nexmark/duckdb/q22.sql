-- q22 (append): URL directories. The 4th, 5th and 6th '/'-separated parts of url, i.e. Flink's
-- 0-based SPLIT_INDEX(url, '/', 3/4/5): for 'https://www.nexmark.com/a/b/c/item.htm?query=1' the
-- parts are 'https:', '', 'www.nexmark.com', 'a', 'b', 'c', ... so dir1/dir2/dir3 = a/b/c. Empty
-- parts are kept; an index past the last part gives NULL.
-- Output: auction, bidder, price, channel, dir1, dir2, dir3.
-- Differences from the reference (nexmark-flink q22):
--   * None intended. DuckDB lists are 1-based, so SPLIT_INDEX index i is element i + 1 of
--     string_split(url, '/'); out-of-range list indexing gives NULL, as SPLIT_INDEX does
--     (split_part would give '' instead, so it is not used).
SELECT
  auction,
  bidder,
  price,
  channel,
  string_split(url, '/')[4] AS dir1,
  string_split(url, '/')[5] AS dir2,
  string_split(url, '/')[6] AS dir3
FROM bid;
