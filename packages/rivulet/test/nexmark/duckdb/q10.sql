-- q10 (append): log to a partitioned file system. Every bid with its UTC day ('YYYY-MM-DD') and
-- minute of day ('HH:MM').
-- Output: auction, bidder, price, dateTime, extra, dt, hm.
-- Differences from the reference (nexmark-flink q10):
--   * The reference writes CSV files partitioned by (dt, hm) and commits partitions on time; here
--     the rows themselves are the result.
--   * dateTime is epoch milliseconds (BIGINT) instead of TIMESTAMP(3); dt and hm are formatted in
--     UTC (Flink's DATE_FORMAT formats the TIMESTAMP value as it is stored).
SELECT
  auction,
  bidder,
  price,
  dateTime,
  extra,
  strftime(epoch_ms(dateTime), '%Y-%m-%d') AS dt,
  strftime(epoch_ms(dateTime), '%H:%M') AS hm
FROM bid;
