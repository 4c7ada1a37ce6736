import { EngineError } from './engine-error.ts';

/**
 * Named fault-injection points at persistence steps, armed by `RIVULET_FAILPOINTS` (read once at load) or
 * by `armFailpoint()` in tests. Syntax: `name:action[@n]` separated by commas, where action is
 * `kill` (SIGKILL this process), `throw` (an EngineError FAILPOINT) or `hang` (block forever), and `@n`
 * fires on the n-th hit (default the first). Disarmed points cost one boolean check.
 */
export type FailpointAction = 'kill' | 'throw' | 'hang';

interface Armed {
  action: FailpointAction;
  remaining: number;
}

const armed = new Map<string, Armed>();
let anyArmed = false;

export function armFailpoint(name: string, action: FailpointAction, onHit = 1): void {
  armed.set(name, { action, remaining: onHit });
  anyArmed = true;
}

export function disarmFailpoints(): void {
  armed.clear();
  anyArmed = false;
}

/** Parses `RIVULET_FAILPOINTS`-style text; throws INVALID_ARGUMENT on malformed entries. */
export function armFailpointsFrom(spec: string): void {
  for (const entry of spec.split(',')) {
    const text = entry.trim();
    if (text === '') continue;
    const match = /^([\w.-]+):(kill|throw|hang)(?:@(\d+))?$/.exec(text);
    if (match === null) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `bad failpoint '${text}' (expected name:kill|throw|hang[@n])`,
      );
    }
    armFailpoint(match[1]!, match[2] as FailpointAction, match[3] === undefined ? 1 : Number(match[3]));
  }
}

/** Marks a step; does nothing unless a failpoint of this name is armed and due. */
export function failpoint(name: string): void {
  if (!anyArmed) return;
  const point = armed.get(name);
  if (point === undefined) return;
  point.remaining -= 1;
  if (point.remaining > 0) return;
  armed.delete(name);
  anyArmed = armed.size > 0;
  if (point.action === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL is delivered asynchronously; do not let this step continue meanwhile.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  if (point.action === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new EngineError('FAILPOINT', `failpoint '${name}' fired`, { details: { failpoint: name } });
}

const fromEnv = process.env.RIVULET_FAILPOINTS;
if (fromEnv !== undefined && fromEnv !== '') armFailpointsFrom(fromEnv);
