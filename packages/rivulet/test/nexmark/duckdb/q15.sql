-- q15 (upsert, key: day): bidding statistics per UTC day ('YYYY-MM-DD'): numbers of bids, distinct
-- bidders and distinct auctions, in total and per price rank (rank1: price < 10 000;
-- rank2: 10 000 <= price < 1 000 000; rank3: price >= 1 000 000; prices in cents).
-- Output: day, total_bids, rank1_bids, rank2_bids, rank3_bids, total_bidders, rank1_bidders,
-- rank2_bidders, rank3_bidders, total_auctions, rank1_auctions, rank2_auctions, rank3_auctions.
-- Differences from the reference (nexmark-flink q15):
--   * The day is formatted in UTC from the epoch-millisecond dateTime (the reference formats its
--     TIMESTAMP(3) customTime as stored).
--   * The reference updates continuously; here it is the final state over the whole input.
SELECT
  strftime(epoch_ms(dateTime), '%Y-%m-%d') AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  count(DISTINCT bidder) AS total_bidders,
  count(DISTINCT bidder) FILTER (WHERE price < 10000) AS rank1_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 1000000) AS rank3_bidders,
  count(DISTINCT auction) AS total_auctions,
  count(DISTINCT auction) FILTER (WHERE price < 10000) AS rank1_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 1000000) AS rank3_auctions
FROM bid
GROUP BY strftime(epoch_ms(dateTime), '%Y-%m-%d');
