-- q20 (append): bids expanded with their auction, for auctions in category 10. A regular join
-- bid B JOIN auction A ON B.auction = A.id: every matching pair, whichever side arrived first.
-- Output: auction, bidder, price, channel, url, dateTime, extra, itemName, description, initialBid,
-- reserve, auctionDateTime, expires, seller, category, auctionExtra.
-- Differences from the reference (nexmark-flink q20):
--   * Column names: the reference sink names the bid's time/extra bid_dateTime/bid_extra and the
--     auction's auction_dateTime/auction_extra; here they are dateTime/extra and
--     auctionDateTime/auctionExtra.
--   * dateTime, auctionDateTime and expires are epoch milliseconds (BIGINT, UTC) instead of
--     TIMESTAMP(3).
SELECT
  B.auction,
  B.bidder,
  B.price,
  B.channel,
  B.url,
  B.dateTime,
  B.extra,
  A.itemName,
  A.description,
  A.initialBid,
  A.reserve,
  A.dateTime AS auctionDateTime,
  A.expires,
  A.seller,
  A.category,
  A.extra AS auctionExtra
FROM bid AS B
JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
