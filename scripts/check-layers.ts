/**
 * Fails (exit 1) when a file under a src/ tree imports against the layering in layer-rules.ts: an upward
 * import, a layer entered other than through its index.ts, an unknown layer folder, or a folder named
 * utils/common/helpers. Usage: tsx scripts/check-layers.ts [srcDir] (default packages/rivulet/src).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { allowedImports } from './layer-rules.ts';

export interface LayerViolation {
  file: string;
  specifier: string;
  rule: string;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function layerOf(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split(sep);
  return parts.length === 1 ? '.' : parts[0]!;
}

function listTs(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) listTs(path, out);
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

export function checkLayers(srcDir: string): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of listTs(srcDir)) {
    const rel = relative(srcDir, file);
    if (/(^|\/)(utils|common|helpers)\//.test(rel)) {
      violations.push({
        file: rel,
        specifier: '',
        rule: 'no utils/common/helpers folders: name a helper for what it does',
      });
    }
    const from = layerOf(srcDir, file);
    if (from !== '.' && !allowedImports.has(from)) {
      violations.push({
        file: rel,
        specifier: '',
        rule: `unknown layer folder '${from}' (add it to scripts/layer-rules.ts)`,
      });
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const targetRel = relative(srcDir, target);
      if (targetRel.startsWith('..')) {
        violations.push({ file: rel, specifier, rule: 'imports from outside src/' });
        continue;
      }
      const to = layerOf(srcDir, target);
      if (to === from) continue;
      if (from !== '.' && !allowedImports.get(from)!.includes(to)) {
        violations.push({
          file: rel,
          specifier,
          rule: `${from} may not import ${to} (allowed: ${allowedImports.get(from)!.join(', ') || 'nothing'})`,
        });
        continue;
      }
      if (to !== '.' && targetRel !== join(to, 'index.ts')) {
        violations.push({ file: rel, specifier, rule: `enter ${to} through ${to}/index.ts` });
      }
    }
  }
  return violations;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const srcDir = resolve(process.argv[2] ?? 'packages/rivulet/src');
  const violations = checkLayers(srcDir);
  for (const v of violations) console.error(`${v.file}: ${v.specifier ? `'${v.specifier}': ` : ''}${v.rule}`);
  console.log(
    violations.length === 0 ? `layers ok (${srcDir})` : `${violations.length} layering violation(s)`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}
