export { type PlanSource, TestDriver, type TestOutputRecord } from './test-driver.ts';
