-- q11 (append): user sessions. Per bidder, bids are grouped into session windows with a gap of
-- 10 000 ms: consecutive bids (ordered by dateTime) less than 10 000 ms apart belong to the same
-- session. A session spans [first dateTime, last dateTime + 10 000) and is output once it is closed
-- by the final watermark (last dateTime + 10 000 <= $watermark), with its number of bids.
-- Output: bidder, bid_count, starttime, endtime.
-- Differences from the reference (nexmark-flink q11):
--   * Flink merges session windows whose bounds merely touch (TimeWindow.intersects uses <=), so two
--     bids exactly 10 000 ms apart share a session there; here they start separate sessions.
--   * starttime/endtime are epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3).
--   * Bids with equal dateTime are ordered by stream order (seq) only to make the session numbering
--     deterministic; it does not change which session a bid belongs to.
WITH flagged AS (
  SELECT
    bidder,
    dateTime,
    seq,
    CASE
      WHEN dateTime - lag(dateTime) OVER (PARTITION BY bidder ORDER BY dateTime, seq) < 10000 THEN 0
      ELSE 1
    END AS starts_session
  FROM bid
),
numbered AS (
  SELECT
    bidder,
    dateTime,
    sum(starts_session) OVER (
      PARTITION BY bidder ORDER BY dateTime, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS session_no
  FROM flagged
)
SELECT bidder, count(*) AS bid_count, min(dateTime) AS starttime, max(dateTime) + 10000 AS endtime
FROM numbered
GROUP BY bidder, session_no
HAVING max(dateTime) + 10000 <= $watermark;
