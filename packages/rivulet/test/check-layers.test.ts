import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkLayers } from '../../../scripts/check-layers.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rivulet-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the real source tree keeps DESIGN.md layering', () => {
  assert.deepEqual(checkLayers(join(import.meta.dirname, '..', 'src')), []);
});

test('upward imports, side doors into a layer, and utils folders are caught', () => {
  const root = tree({
    'model/index.ts': "export * from './clock.ts';\n",
    'model/clock.ts': "import { Log } from '../log/index.ts';\n",
    'log/index.ts': "export { x } from './x.ts';\n",
    'log/x.ts': "import { y } from '../model/clock.ts';\nexport const x = 1;\n",
    'log/utils/pad.ts': 'export const pad = 1;\n',
    'runtime/index.ts':
      "import type { Log } from '../log/index.ts';\nexport const r = await import('../dsl/index.ts');\n",
    'dsl/index.ts': 'export const d = 1;\n',
  });
  try {
    const rules = checkLayers(root).map((v) => `${v.file}: ${v.rule}`);
    assert.ok(
      rules.some((r) => r.startsWith('model/clock.ts: model may not import log')),
      rules.join('\n'),
    );
    assert.ok(
      rules.some((r) => r.startsWith('log/x.ts: enter model through model/index.ts')),
      rules.join('\n'),
    );
    assert.ok(
      rules.some((r) => r.startsWith('log/utils/pad.ts: no utils')),
      rules.join('\n'),
    );
    assert.ok(
      rules.some((r) => r.startsWith('runtime/index.ts: runtime may not import dsl')),
      rules.join('\n'),
    );
    assert.equal(rules.length, 4, rules.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
