-- q8 (append): new users. Tumbling windows of 10 000 ms aligned to the epoch, half-open
-- [start, start + 10 000). A person (id, name) is output for a window when the person event and at
-- least one auction with A.seller = P.id both fall in that window; one row per (id, name, window).
-- Only windows closed by the final watermark (start + 10 000 <= $watermark) are output.
-- Output: id, name, starttime.
-- Differences from the reference (nexmark-flink q8):
--   * starttime is epoch milliseconds (BIGINT, UTC) instead of TIMESTAMP(3); the reference sink
--     names the column stime.
--   * Window starts are computed as t - t % 10000, which assumes non-negative event times.
WITH P AS (
  SELECT DISTINCT id, name, dateTime - dateTime % 10000 AS starttime
  FROM person
),
A AS (
  SELECT DISTINCT seller, dateTime - dateTime % 10000 AS starttime
  FROM auction
)
SELECT P.id, P.name, P.starttime
FROM P
JOIN A ON P.id = A.seller AND P.starttime = A.starttime
WHERE P.starttime + 10000 <= $watermark;
