/**
 * DESIGN.md §1 dependency direction for packages/rivulet/src. A layer may import only the layers listed
 * for it, and another layer only through that layer's index.ts. Files at the src root (index.ts,
 * engine.ts...) may import any layer's index.
 */
export const allowedImports: ReadonlyMap<string, readonly string[]> = new Map([
  ['model', []],
  ['log', ['model']],
  ['state', ['model', 'log']],
  ['plan', ['model']],
  ['connector', ['model']],
  ['dsl', ['model', 'plan', 'connector']],
  ['sql', ['model', 'plan']],
  ['runtime', ['model', 'log', 'state', 'plan', 'connector']],
  ['nexmark', ['model', 'plan', 'dsl']],
  ['testing', ['model', 'log', 'state', 'plan', 'connector', 'runtime', 'dsl']],
  ['server', ['model', 'log', 'state', 'plan', 'connector', 'runtime', 'dsl', 'sql', '.']],
  ['demo', ['model', 'log', 'plan', 'dsl', 'runtime', 'server', '.']],
  [
    'cli',
    ['model', 'log', 'state', 'plan', 'connector', 'runtime', 'dsl', 'sql', 'server', 'nexmark', 'demo', '.'],
  ],
]);
