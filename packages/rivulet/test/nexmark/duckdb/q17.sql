-- q17 (upsert, key: auction, day): auction statistics per (auction, UTC day 'YYYY-MM-DD'): number
-- of bids in total and per price rank (as in q15), and min, max, average and sum of the prices.
-- Output: auction, day, total_bids, rank1_bids, rank2_bids, rank3_bids, min_price, max_price,
-- avg_price, sum_price.
-- Differences from the reference (nexmark-flink q17):
--   * avg_price is DOUBLE; Flink's AVG over BIGINT returns a BIGINT (truncated toward zero).
--   * day is formatted in UTC from the epoch-millisecond dateTime.
--   * The reference updates continuously; here it is the final state over the whole input.
SELECT
  auction,
  strftime(epoch_ms(dateTime), '%Y-%m-%d') AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  min(price) AS min_price,
  max(price) AS max_price,
  CAST(avg(price) AS DOUBLE) AS avg_price,
  CAST(sum(price) AS BIGINT) AS sum_price
FROM bid
GROUP BY auction, strftime(epoch_ms(dateTime), '%Y-%m-%d');
