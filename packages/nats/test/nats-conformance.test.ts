import { sinkConformance, sourceConformance } from 'rivulet/connector/conformance';
import { natsSinkHarness, natsSourceHarness } from './nats-harness.ts';

sourceConformance('natsSource', natsSourceHarness);
sinkConformance('natsSink', natsSinkHarness);
