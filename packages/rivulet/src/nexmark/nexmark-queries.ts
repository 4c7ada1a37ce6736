import type { NexmarkQuery } from './nexmark-query.ts';
import { q0 } from './queries/q0.ts';
import { q1 } from './queries/q1.ts';
import { q2 } from './queries/q2.ts';
import { q3 } from './queries/q3.ts';
import { q4 } from './queries/q4.ts';
import { q5 } from './queries/q5.ts';
import { q6 } from './queries/q6.ts';
import { q7 } from './queries/q7.ts';
import { q8 } from './queries/q8.ts';
import { q9 } from './queries/q9.ts';
import { q10 } from './queries/q10.ts';
import { q11 } from './queries/q11.ts';
import { q12 } from './queries/q12.ts';
import { q13 } from './queries/q13.ts';
import { q14 } from './queries/q14.ts';
import { q15 } from './queries/q15.ts';
import { q16 } from './queries/q16.ts';
import { q17 } from './queries/q17.ts';
import { q18 } from './queries/q18.ts';
import { q19 } from './queries/q19.ts';
import { q20 } from './queries/q20.ts';
import { q21 } from './queries/q21.ts';
import { q22 } from './queries/q22.ts';
import { q23 } from './queries/q23.ts';

/** Every Nexmark query in the DSL, q0 to q23, by name. */
export const nexmarkQueries: ReadonlyMap<string, NexmarkQuery> = new Map(
  [
    q0,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
    q8,
    q9,
    q10,
    q11,
    q12,
    q13,
    q14,
    q15,
    q16,
    q17,
    q18,
    q19,
    q20,
    q21,
    q22,
    q23,
  ].map((q) => [q.name, q]),
);
