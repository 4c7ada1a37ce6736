export { type RivuletServer, type ServerLimits, type ServerOptions, startServer } from './create-server.ts';
export { DASHBOARD_CSP, findDashboardDir, registerDashboardRoutes } from './dashboard-routes.ts';
export { type LiveSnapshot, liveSnapshot, registerLiveRoutes } from './live-routes.ts';
export { registerMetricsRoutes } from './metrics-routes.ts';
export { type PipelineStatusJson, pipelineStatusJson } from './pipeline-status-json.ts';
export { registerStoreRoutes, type StoreLookup } from './store-routes.ts';
