-- q16 (upsert, key: channel, day): channel statistics per (channel, UTC day 'YYYY-MM-DD'): the
-- latest minute of day ('HH:MM', UTC) seen in the group, and the same 12 counts as q15 (bids,
-- distinct bidders, distinct auctions; total and per price rank).
-- Output: channel, day, minute, total_bids, rank1_bids, rank2_bids, rank3_bids, total_bidders,
-- rank1_bidders, rank2_bidders, rank3_bidders, total_auctions, rank1_auctions, rank2_auctions,
-- rank3_auctions.
-- Differences from the reference (nexmark-flink q16):
--   * day and minute are formatted in UTC from the epoch-millisecond dateTime (the reference formats
--     its TIMESTAMP(3) as stored).
--   * The reference updates continuously; here it is the final state over the whole input.
SELECT
  channel,
  strftime(epoch_ms(dateTime), '%Y-%m-%d') AS day,
  max(strftime(epoch_ms(dateTime), '%H:%M')) AS minute,
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
GROUP BY channel, strftime(epoch_ms(dateTime), '%Y-%m-%d');
