-- q4 (upsert, key: category): average winning price per category. Per auction, the winning price
-- is the highest bid price among bids on it with A.dateTime <= B.dateTime <= A.expires (both ends
-- inclusive); auctions without such a bid have no winning price and do not count. Then the average
-- of the winning prices per category.
-- Output: category, avg.
-- Differences from the reference (nexmark-flink q4):
--   * avg is DOUBLE; Flink's AVG over BIGINT returns a BIGINT (truncated toward zero).
--   * The reference output columns are named (id, final); here (category, avg).
--   * The reference updates continuously (an auction's maximum may grow while bids arrive, even
--     after the auction expired if the bid is not late); here it is the final state over the whole
--     input. Auctions are not required to be closed (no watermark condition), as in the reference.
WITH winning AS (
  SELECT A.id, A.category, max(B.price) AS final
  FROM auction AS A
  JOIN bid AS B ON B.auction = A.id AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.category
)
SELECT category, CAST(avg(final) AS DOUBLE) AS avg
FROM winning
GROUP BY category;
