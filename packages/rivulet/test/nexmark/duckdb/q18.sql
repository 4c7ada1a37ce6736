-- q18 (upsert, key: bidder, auction): last bid per (bidder, auction), i.e. deduplication keeping the
-- bid with the greatest dateTime; among bids with equal dateTime, the later one in stream order
-- (higher seq) wins.
-- Output: auction, bidder, price, channel, url, dateTime, extra.
-- Differences from the reference (nexmark-flink q18):
--   * The reference orders by dateTime DESC only and leaves ties to Flink's deduplication operator;
--     here the tie-break is explicit (later in stream order wins).
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
    row_number() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC, seq DESC) AS rank_number
  FROM bid
)
SELECT auction, bidder, price, channel, url, dateTime, extra
FROM ranked
WHERE rank_number = 1;
