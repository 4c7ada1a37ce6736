import assert from 'node:assert/strict';

/**
 * Polls `condition` (every 25 ms) until it holds; fails the test with "timed out waiting for <what>"
 * after `ms`. For waiting on a running pipeline or an external server, never as a sleep.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
