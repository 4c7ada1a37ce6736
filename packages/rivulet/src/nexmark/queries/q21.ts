import type { NexmarkQuery } from '../nexmark-query.ts';

const HOT_CHANNEL_IDS: Readonly<Record<string, string>> = {
  apple: '0',
  google: '1',
  facebook: '2',
  baidu: '3',
};
const CHANNEL_ID = /(&|^)channel_id=([^&]*)/;

/** CASE and regular-expression extraction: each bid's channel id, from its channel name or its url. */
export const q21: NexmarkQuery = {
  name: 'q21',
  output: 'append',
  build: ({ bids }) =>
    bids.flatMap((b) => {
      const channelId = HOT_CHANNEL_IDS[b.channel.toLowerCase()] ?? CHANNEL_ID.exec(b.url)?.[2];
      if (channelId === undefined) return [];
      return [
        { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id: channelId },
      ];
    }),
};
