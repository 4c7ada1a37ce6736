-- q0 (append): pass-through. Every bid, unchanged.
-- Output: auction, bidder, price, dateTime, extra.
-- Differences from the reference (nexmark-flink q0):
--   * dateTime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
SELECT auction, bidder, price, dateTime, extra
FROM bid;
