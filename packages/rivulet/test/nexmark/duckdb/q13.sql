-- q13 (append): bounded side-input join. Every bid joined with the side input (key, value), rows
-- (i, i) for i = 0..9999, on auction % 10000 = key.
-- Output: auction, bidder, price, dateTime, value.
-- Differences from the reference (nexmark-flink q13):
--   * The reference looks the side input up as of processing time (FOR SYSTEM_TIME AS OF); the side
--     input never changes, so this is a plain join.
--   * value is BIGINT (the reference declares it VARCHAR, read from a CSV file).
--   * dateTime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3) (customTime in the
--     reference).
SELECT B.auction, B.bidder, B.price, B.dateTime, S.value
FROM bid AS B
JOIN side_input AS S ON B.auction % 10000 = S.key;
