/**
 * The Nexmark model (an online auction): people open auctions and bid on them. One physical stream
 * carries all three kinds, tagged by `type`; `dateTime` (and an auction's `expires`) are epoch
 * milliseconds. Prices are in cents. Field names follow the reference implementation's schema.
 */
export interface Person {
  readonly type: 'person';
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  readonly extra: string;
}

export interface Auction {
  readonly type: 'auction';
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  readonly initialBid: number;
  readonly reserve: number;
  readonly dateTime: number;
  readonly expires: number;
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

export interface Bid {
  readonly type: 'bid';
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly channel: string;
  readonly url: string;
  readonly dateTime: number;
  readonly extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

export function isPerson(event: NexmarkEvent): event is Person {
  return event.type === 'person';
}

export function isAuction(event: NexmarkEvent): event is Auction {
  return event.type === 'auction';
}

export function isBid(event: NexmarkEvent): event is Bid {
  return event.type === 'bid';
}
