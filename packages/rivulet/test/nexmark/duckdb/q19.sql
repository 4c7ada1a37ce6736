-- q19 (upsert, key: auction): top-10 bids per auction by price DESC; among bids with equal price,
-- the earlier one in stream order (lower seq) ranks first. rank_number is 1..10 in that order.
-- The upsert state is the set of (auction, rank_number) rows after all input.
-- Output: auction, bidder, price, channel, url, dateTime, extra, rank_number.
-- Differences from the reference (nexmark-flink q19):
--   * The reference orders by price DESC only, so ties are ranked arbitrarily; here the tie-break
--     is explicit (earlier in stream order first).
--   * dateTime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
--   * The reference updates continuously; here it is the final state over the whole input.
WITH ranked AS (
  SELECT
    auction,
    bidder,
    price,
    channel,
    url,
    dateTime,
    extra,
    row_number() OVER (PARTITION BY auction ORDER BY price DESC, seq ASC) AS rank_number
  FROM bid
)
SELECT auction, bidder, price, channel, url, dateTime, extra, rank_number
FROM ranked
WHERE rank_number <= 10;
