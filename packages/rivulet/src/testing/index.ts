export { connectorPipelineConformance } from './connector-pipeline-conformance.ts';
export { type MemorySink, type MemorySource, memorySink, memorySource } from './memory-connectors.ts';
export { type PlanSource, TestDriver, type TestOutputRecord } from './test-driver.ts';
