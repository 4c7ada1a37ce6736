-- q9 (upsert, key: auction id): winning bid per auction. Per auction, the top bid among bids on it
-- with A.dateTime <= B.dateTime <= A.expires (inclusive), by price DESC, then dateTime ASC, then
-- stream order (seq) ASC. Auctions without such a bid are absent. Auctions need not be closed.
-- Output: id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra,
-- auction, bidder, price, bid_dateTime, bid_extra.
-- Differences from the reference (nexmark-flink q9):
--   * The reference breaks ties on (price, dateTime) arbitrarily; here the earlier bid in stream
--     order wins.
--   * dateTime, expires and bid_dateTime are epoch milliseconds (BIGINT, UTC) instead of
--     TIMESTAMP(3) (the reference names them customTime / bid_customTime).
--   * The reference updates continuously (a higher bid replaces the winner); here it is the final
--     state over the whole input.
WITH ranked AS (
  SELECT
    A.id,
    A.itemName,
    A.description,
    A.initialBid,
    A.reserve,
    A.dateTime,
    A.expires,
    A.seller,
    A.category,
    A.extra,
    B.auction,
    B.bidder,
    B.price,
    B.dateTime AS bid_dateTime,
    B.extra AS bid_extra,
    row_number() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC, B.seq ASC) AS rownum
  FROM auction AS A
  JOIN bid AS B ON B.auction = A.id AND B.dateTime BETWEEN A.dateTime AND A.expires
)
SELECT
  id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra,
  auction, bidder, price, bid_dateTime, bid_extra
FROM ranked
WHERE rownum = 1;
