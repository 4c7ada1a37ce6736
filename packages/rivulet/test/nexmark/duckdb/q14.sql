-- q14 (append): calculation with a UDF. Bids whose converted price 0.908 * price lies strictly
-- between 1 000 000 and 50 000 000, with the converted price, a time-of-day class from the UTC hour
-- ('dayTime' for 8..18, 'nightTime' for 0..6 and 20..23, else 'otherTime') and the number of 'c'
-- characters in extra.
-- Output: auction, bidder, price, bidTimeType, dateTime, extra, c_counts.
-- Differences from the reference (nexmark-flink q14):
--   * price is DOUBLE (the exact product, rounded once to a double) instead of DECIMAL(23, 3); the
--     filter itself uses the exact decimal product, as the reference does.
--   * dateTime is epoch milliseconds (BIGINT) instead of TIMESTAMP(3); the hour is taken in UTC.
--   * c_counts counts characters; the reference UDF counts bytes. They agree because 'c' is ASCII
--     and UTF-8 never uses an ASCII byte inside a multi-byte character.
SELECT
  auction,
  bidder,
  CAST(0.908 * price AS DOUBLE) AS price,
  CASE
    WHEN hour(epoch_ms(dateTime)) >= 8 AND hour(epoch_ms(dateTime)) <= 18 THEN 'dayTime'
    WHEN hour(epoch_ms(dateTime)) <= 6 OR hour(epoch_ms(dateTime)) >= 20 THEN 'nightTime'
    ELSE 'otherTime'
  END AS bidTimeType,
  dateTime,
  extra,
  CAST(length(extra) - length(replace(extra, 'c', '')) AS BIGINT) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
