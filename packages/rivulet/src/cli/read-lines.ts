/**
 * Splits a byte stream (stdin) into numbered text lines, decoding UTF-8 across chunk boundaries. Yields
 * the complete lines of each chunk together, so a caller can batch per chunk: on a pipe or file that is
 * up to 64 KiB of lines at a time, on a terminal one line as it is typed.
 */
import { StringDecoder } from 'node:string_decoder';

/** One input line without its line terminator ('\n' or '\r\n'). `number` counts from 1. */
export interface InputLine {
  number: number;
  text: string;
}

export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<InputLine[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  const take = (text: string): InputLine => {
    number++;
    let line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (number === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    return { number, text: line };
  };
  for await (const chunk of input) {
    const text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const parts = text.split('\n');
    pending = parts.pop()!;
    if (parts.length > 0) yield parts.map(take);
  }
  const rest = pending + decoder.end();
  if (rest.length > 0) yield [take(rest)];
}
