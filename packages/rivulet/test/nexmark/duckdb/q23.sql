-- q23 (append): bids by people who also sell. A regular three-way join
-- bid B JOIN person P ON P.id = B.bidder JOIN auction A ON A.seller = B.bidder: every matching
-- (bid, person, auction) triple, whichever arrived first. The auction is any auction the bidder
-- sells, not the auction the bid is on.
-- Output: bidder, price, channel, url, bid_extra, person_id, name, emailAddress, creditCard, city,
-- state, person_extra, itemName, description, initialBid, reserve, auction_dateTime, expires, seller,
-- category, auction_extra.
-- Differences from the reference (Feldera's q23 in the nexmark suite):
--   * auction_dateTime and expires are epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
SELECT
  B.bidder,
  B.price,
  B.channel,
  B.url,
  B.extra AS bid_extra,
  P.id AS person_id,
  P.name,
  P.emailAddress,
  P.creditCard,
  P.city,
  P.state,
  P.extra AS person_extra,
  A.itemName,
  A.description,
  A.initialBid,
  A.reserve,
  A.dateTime AS auction_dateTime,
  A.expires,
  A.seller,
  A.category,
  A.extra AS auction_extra
FROM bid AS B
JOIN person AS P ON P.id = B.bidder
JOIN auction AS A ON A.seller = B.bidder;
