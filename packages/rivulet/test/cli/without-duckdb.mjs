// Preloaded by a CLI test (NODE_OPTIONS=--import=<this file>) to run `rivulet` as if the optional
// package @duckdb/node-api were not installed: resolving it fails as a missing package does.
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === '@duckdb/node-api') {
    const error = new Error("Cannot find package '@duckdb/node-api'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`);
