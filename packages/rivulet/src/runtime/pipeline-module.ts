import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineError } from '../model/index.ts';
import type { Plan } from '../plan/index.ts';

/** A module path (relative to the working directory) or a file URL, as a file URL. */
export function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/** URL of tsx's register API when `url` is TypeScript and tsx is installed; else undefined. */
export function typeScriptLoader(url: string): string | undefined {
  if (!/\.[cm]?ts$/.test(new URL(url).pathname)) return undefined;
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined; // a Node that strips types itself can still load it
  }
}

/**
 * Imports `module` and returns the pipeline its `exportName` export holds (a DSL Pipeline or a Plan).
 * `.ts` modules load through tsx when it is installed (registered here unless `registerLoader` is false:
 * a worker thread's bootstrap registered it already). Throws INVALID_ARGUMENT when the module cannot be
 * loaded or the export is not a pipeline.
 */
export async function loadPipelineModule(
  module: string,
  exportName = 'default',
  options: { registerLoader?: boolean } = {},
): Promise<Plan> {
  const url = moduleUrl(module);
  const loader = options.registerLoader === false ? undefined : typeScriptLoader(url);
  if (loader !== undefined) {
    const { register } = (await import(loader)) as { register: () => void };
    register();
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new EngineError('INVALID_ARGUMENT', `cannot load ${module}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const exported = namespace[exportName];
  if (typeof exported === 'object' && exported !== null) {
    if (typeof (exported as { plan?: unknown }).plan === 'function')
      return (exported as { plan(): Plan }).plan();
    if (Array.isArray((exported as { nodes?: unknown }).nodes)) return exported as Plan;
  }
  throw new EngineError(
    'INVALID_ARGUMENT',
    exportName === 'default'
      ? `${module} must export a pipeline as its default export (export default pipeline('name')...)`
      : `${module} must export a pipeline as '${exportName}'`,
    { details: { module, export: exportName } },
  );
}
