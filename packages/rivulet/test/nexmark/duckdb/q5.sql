-- q5 (append): hot items. Hopping windows of 10 000 ms advancing every 2 000 ms (starts are
-- multiples of 2 000 ms since the epoch; a bid at t belongs to the 5 windows [s, s + 10 000) with
-- s <= t < s + 10 000). Bids are counted per (auction, window); per window, the auctions whose count
-- equals the maximum count of that window are output (all of them when tied). Only windows closed
-- by the final watermark (endtime <= $watermark) are output.
-- Output: auction, num, starttime, endtime.
-- Differences from the reference (nexmark-flink q5):
--   * The reference outputs only (auction, num); the window bounds starttime/endtime are added here
--     so rows of different windows can be told apart.
--   * starttime/endtime are epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
--   * The reference compares num >= maxn; since maxn is the maximum, that is num = maxn here.
--   * Window starts are computed as t - t % 2000, which assumes non-negative event times.
WITH bid_windows AS (
  SELECT B.auction, (B.dateTime - B.dateTime % 2000) - 2000 * r.k AS starttime
  FROM bid AS B
  CROSS JOIN range(5) AS r(k)
),
counts AS (
  SELECT auction, starttime, starttime + 10000 AS endtime, count(*) AS num
  FROM bid_windows
  WHERE starttime + 10000 <= $watermark
  GROUP BY auction, starttime
),
maxima AS (
  SELECT starttime, max(num) AS maxn
  FROM counts
  GROUP BY starttime
)
SELECT C.auction, C.num, C.starttime, C.endtime
FROM counts AS C
JOIN maxima AS M ON C.starttime = M.starttime AND C.num = M.maxn;
