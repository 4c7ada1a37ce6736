import { restoreCases } from './test/restore-cases.ts';
import { backendKinds } from './test/state-fixtures.ts';

for (const kind of backendKinds) restoreCases(kind);
