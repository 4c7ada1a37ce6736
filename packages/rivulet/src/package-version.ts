import { readFileSync } from 'node:fs';

/** The rivulet package's version (from its package.json, beside src/ and dist/), or 'unknown'. */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
