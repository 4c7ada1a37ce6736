-- q7 (append): highest bid per period. Tumbling windows of 10 000 ms aligned to the epoch,
-- half-open [start, start + 10 000). For every window closed by the final watermark
-- (start + 10 000 <= $watermark), the bids in that window whose price equals the window's maximum
-- price (all of them when tied).
-- Output: auction, price, bidder, dateTime, extra.
-- Differences from the reference (nexmark-flink q7):
--   * The reference joins every bid with the window maxima on price = maxprice and
--     B.dateTime BETWEEN window_end - 10 s AND window_end, which includes the end instant: a bid at
--     exactly window_end that matches the previous window's maximum would be output for that window
--     too. Here a bid belongs only to the window [start, end) that contains it.
--   * The reference's join is a regular (unbounded) join, so a later bid at the right time and price
--     would still join with an already-emitted maximum; here only bids inside a closed window count.
--   * dateTime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
--   * Window starts are computed as t - t % 10000, which assumes non-negative event times.
WITH windowed AS (
  SELECT auction, price, bidder, dateTime, extra, dateTime - dateTime % 10000 AS window_start
  FROM bid
),
maxima AS (
  SELECT window_start, max(price) AS maxprice
  FROM windowed
  WHERE window_start + 10000 <= $watermark
  GROUP BY window_start
)
SELECT W.auction, W.price, W.bidder, W.dateTime, W.extra
FROM windowed AS W
JOIN maxima AS M ON W.window_start = M.window_start AND W.price = M.maxprice;
