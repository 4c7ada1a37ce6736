export { demoPipeline, demoTopics } from './demo-pipeline.ts';
export { type DemoAlert, type DemoOptions, type DemoSummary, runDemo } from './run-demo.ts';
export {
  type GeneratedVisit,
  LATE_MAX_MS,
  LATE_MIN_MS,
  type Visit,
  VisitGenerator,
  type VisitGeneratorConfig,
  type VisitGeneratorOptions,
} from './visit-generator.ts';
