-- q12 (append): processing-time windows. Bids per bidder per tumbling 10 s window of processing
-- time. This is the deterministic special case used by the tests: every record is processed while
-- the processing-time clock stands at one instant, so every bid falls into the single window
-- [$processingWindowStart, $processingWindowStart + 10 000) and the result is count(*) per bidder
-- with those constant bounds.
-- Output: bidder, bid_count, window_start, window_end.
-- Differences from the reference (nexmark-flink q12):
--   * The reference assigns windows by PROCTIME(), which is non-deterministic; the window bounds
--     here are a parameter supplied by the runner, and the case of bids spread over several
--     processing-time windows is not modelled.
--   * The reference sink names the bounds starttime/endtime (TIMESTAMP(3)); here they are
--     window_start/window_end in epoch milliseconds (BIGINT).
SELECT
  bidder,
  count(*) AS bid_count,
  CAST($processingWindowStart AS BIGINT) AS window_start,
  CAST($processingWindowStart AS BIGINT) + 10000 AS window_end
FROM bid
GROUP BY bidder;
