export { type RivuletServer, type ServerOptions, startServer } from './create-server.ts';
export { registerStoreRoutes, type StoreLookup } from './store-routes.ts';
