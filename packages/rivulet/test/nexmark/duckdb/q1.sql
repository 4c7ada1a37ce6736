-- q1 (append): currency conversion. Every bid with its price (cents) multiplied by 0.908.
-- Output: auction, bidder, price, dateTime, extra.
-- Differences from the reference (nexmark-flink q1):
--   * price is DOUBLE (the exact product 0.908 * price, rounded once to a double) instead of
--     DECIMAL(23, 3); compare it with a relative tolerance.
--   * dateTime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
SELECT
  auction,
  bidder,
  CAST(0.908 * price AS DOUBLE) AS price,
  dateTime,
  extra
FROM bid;
