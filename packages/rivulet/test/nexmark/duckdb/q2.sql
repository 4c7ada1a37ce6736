-- q2 (append): selection. The bids on every 123rd auction id (auction % 123 = 0), with their price.
-- Output: auction, price.
-- Differences from the reference (nexmark-flink q2): none (MOD(auction, 123) = 0 is the same test
-- as auction % 123 = 0; auction ids are non-negative).
SELECT auction, price
FROM bid
WHERE auction % 123 = 0;
