/** `<base>-p<partition>-<first>-<last>.parquet` split into its numbers. */
export interface DataFileName {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

/**
 * The names of one sink's data files: `<prefix>-<sink>-p<partition>-<firstOffset>-<lastOffset>.parquet`.
 * The same rows always get the same name, so a replay overwrites instead of duplicating, and a name
 * alone tells which outbox offsets a file holds (what recovery compares with the committed positions).
 */
export class DataFileNames {
  private readonly pattern: RegExp;

  constructor(readonly base: string) {
    const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${escaped}-p(\\d+)-(\\d+)-(\\d+)\\.parquet$`);
  }

  name(partition: number, first: number, last: number): string {
    return `${this.base}-p${partition}-${first}-${last}.parquet`;
  }

  /** The numbers in `name` (a bare file name, no directory), or undefined when it is not this sink's. */
  parse(name: string): DataFileName | undefined {
    const match = this.pattern.exec(name);
    if (match === null) return undefined;
    return { partition: Number(match[1]), first: Number(match[2]), last: Number(match[3]) };
  }
}
