import type { WireHeaders } from './api-types.ts';

/** Record headers as a Map, whichever of the accepted wire shapes the server used (api-types.ts). */
export function recordHeaders(headers: WireHeaders): Map<string, string> {
  const out = new Map<string, string>();
  if (headers === null || headers === undefined) return out;
  if (Array.isArray(headers)) {
    for (const entry of headers) {
      if (Array.isArray(entry)) out.set(String(entry[0]), String(entry[1]));
      else out.set(String(entry.key), String(entry.value));
    }
    return out;
  }
  for (const [k, v] of Object.entries(headers)) out.set(k, String(v));
  return out;
}

/** The headers the engine writes on a dead letter (runtime/error-policy.ts). */
export const DEAD_LETTER_HEADERS = {
  sourceTopic: 'rivulet.source.topic',
  sourcePartition: 'rivulet.source.partition',
  sourceOffset: 'rivulet.source.offset',
  operator: 'rivulet.operator',
  boundary: 'rivulet.boundary',
  errorCode: 'rivulet.error.code',
  errorMessage: 'rivulet.error.message',
} as const;
