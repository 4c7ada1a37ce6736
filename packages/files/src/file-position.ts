import { EngineError } from 'rivulet/connector';
import { FILE_SOURCE } from './file-source.ts';

/** `<byte offset>:<lines before it>:<inode>`: where the next record starts, in which file. */
export interface FilePosition {
  readonly offset: number;
  readonly line: number;
  readonly ino: number;
}

/** Parses a position text; SOURCE_POSITION_INVALID when malformed. */
export function parsePosition(text: string, split: string): FilePosition {
  const match = /^(\d{1,15}):(\d{1,15}):(\d{1,20})$/.exec(text);
  if (match === null)
    throw new EngineError(
      'SOURCE_POSITION_INVALID',
      `fileSource: position ${JSON.stringify(text)} of ${split} is malformed`,
      {
        details: { connector: FILE_SOURCE, split, position: text },
      },
    );
  return { offset: Number(match[1]), line: Number(match[2]), ino: Number(match[3]) };
}
