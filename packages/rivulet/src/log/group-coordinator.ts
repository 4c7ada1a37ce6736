import { EngineError } from '../model/index.ts';
import type { TopicPartition } from './topic-partition.ts';

interface Member {
  topics: readonly string[];
  assignment: TopicPartition[];
}

interface Group {
  generation: number;
  members: Map<string, Member>;
}

/**
 * In-process consumer group membership for the embedded log (one process owns a data directory; other
 * processes reach it through `rivulet serve`). Members join and leave; every change starts a new
 * generation and re-assigns partitions with Kafka's range assignor (per topic, members sorted by id,
 * contiguous ranges, the first members getting one extra). Commits name their generation, and a commit
 * from an older generation is refused (ILLEGAL_GENERATION), so a member that lost a partition cannot
 * overwrite its new owner's progress.
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  #nextMember = 1;

  constructor(private readonly partitionsOf: (topic: string) => number) {}

  join(groupId: string, topics: readonly string[]): { memberId: string } {
    const group = this.#groups.get(groupId) ?? { generation: 0, members: new Map() };
    this.#groups.set(groupId, group);
    const memberId = `member-${this.#nextMember++}`;
    group.members.set(memberId, { topics, assignment: [] });
    this.#rebalance(group);
    return { memberId };
  }

  leave(groupId: string, memberId: string): void {
    const group = this.#groups.get(groupId);
    if (group === undefined || !group.members.delete(memberId)) return;
    this.#rebalance(group);
  }

  generation(groupId: string): number {
    return this.#groups.get(groupId)?.generation ?? 0;
  }

  assignment(
    groupId: string,
    memberId: string,
  ): { generation: number; partitions: readonly TopicPartition[] } {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) {
      throw new EngineError('UNKNOWN_MEMBER', `member ${memberId} is not in group ${groupId}`, {
        details: { group: groupId, memberId },
      });
    }
    return { generation: group.generation, partitions: member.assignment };
  }

  /** Throws ILLEGAL_GENERATION unless `generation` is current and the member still owns `partitions`. */
  checkCommit(
    groupId: string,
    memberId: string,
    generation: number,
    partitions: readonly TopicPartition[],
  ): void {
    const { generation: current, partitions: owned } = this.assignment(groupId, memberId);
    const stale =
      generation !== current ||
      partitions.some((p) => !owned.some((o) => o.topic === p.topic && o.partition === p.partition));
    if (stale) {
      throw new EngineError(
        'ILLEGAL_GENERATION',
        `commit from generation ${generation} of group ${groupId}, now ${current}`,
        {
          details: { group: groupId, memberId, generation, current },
        },
      );
    }
  }

  #rebalance(group: Group): void {
    group.generation++;
    for (const member of group.members.values()) member.assignment = [];
    const topics = new Set<string>();
    for (const member of group.members.values()) for (const topic of member.topics) topics.add(topic);
    for (const topic of [...topics].sort()) {
      const members = [...group.members]
        .filter(([, m]) => m.topics.includes(topic))
        .sort(([a], [b]) => compareIds(a, b));
      const partitions = this.partitionsOf(topic);
      const per = Math.floor(partitions / members.length);
      const extra = partitions % members.length;
      let next = 0;
      members.forEach(([, member], i) => {
        const count = per + (i < extra ? 1 : 0);
        for (let p = next; p < next + count; p++) member.assignment.push({ topic, partition: p });
        next += count;
      });
    }
  }
}

function compareIds(a: string, b: string): number {
  return Number(a.slice(7)) - Number(b.slice(7));
}
