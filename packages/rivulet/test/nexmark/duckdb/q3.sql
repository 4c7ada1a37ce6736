-- q3 (upsert, key: auction id): local item suggestion. Who sells in OR, ID or CA in category 10,
-- and in which auctions: auction A joined with person P on A.seller = P.id.
-- Output: name, city, state, id (the auction id).
-- Differences from the reference (nexmark-flink q3):
--   * The reference is an unbounded regular join that emits (and never retracts) a row as soon as
--     both sides have arrived; here the join is evaluated once over the whole input, which is the
--     final state of that join (the same rows, whichever side arrived first).
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
JOIN person AS P ON A.seller = P.id
WHERE A.category = 10
  AND P.state IN ('OR', 'ID', 'CA');
