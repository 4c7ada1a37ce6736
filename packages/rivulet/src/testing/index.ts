export { connectorPipelineConformance } from './connector-pipeline-conformance.ts';
export { freePort } from './free-port.ts';
export { type MemorySink, type MemorySource, memorySink, memorySource } from './memory-connectors.ts';
export { type CrashChildRun, runCrashChild } from './run-crash-child.ts';
export { crashAtFileSystemStep, writeLikeDelivery } from './sink-crash-child.ts';
export { type PlanSource, type TestDeadLetter, TestDriver, type TestOutputRecord } from './test-driver.ts';
export { waitUntil } from './wait-until.ts';
