-- q21 (append): add a channel id. For the four hot channels (case-insensitive) apple/google/
-- facebook/baidu the id is '0'/'1'/'2'/'3'; otherwise it is capture group 2 of
-- '(&|^)channel_id=([^&]*)' in url. Bids with neither (no hot channel and no match) are dropped.
-- Output: auction, bidder, price, channel, channel_id.
-- Differences from the reference (nexmark-flink q21):
--   * None intended. DuckDB's regexp_extract returns '' (not NULL) when the pattern does not match,
--     while Flink's REGEXP_EXTRACT returns NULL; the extract is therefore guarded by
--     regexp_matches so that "no match" is NULL. A match with an empty group (a url ending in
--     'channel_id=') still yields '' as in Flink. The pattern is searched for anywhere in the
--     url (RE2 partial match, like Java's Matcher.find()).
WITH extracted AS (
  SELECT
    auction,
    bidder,
    price,
    channel,
    lower(channel) AS lower_channel,
    CASE
      WHEN regexp_matches(url, '(&|^)channel_id=([^&]*)')
        THEN regexp_extract(url, '(&|^)channel_id=([^&]*)', 2)
    END AS url_channel_id
  FROM bid
)
SELECT
  auction,
  bidder,
  price,
  channel,
  CASE
    WHEN lower_channel = 'apple' THEN '0'
    WHEN lower_channel = 'google' THEN '1'
    WHEN lower_channel = 'facebook' THEN '2'
    WHEN lower_channel = 'baidu' THEN '3'
    ELSE url_channel_id
  END AS channel_id
FROM extracted
WHERE url_channel_id IS NOT NULL
  OR lower_channel IN ('apple', 'google', 'facebook', 'baidu');
