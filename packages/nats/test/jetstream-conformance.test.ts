import { sinkConformance, sourceConformance } from 'rivulet/connector/conformance';
import { jetStreamSinkHarness, jetStreamSourceHarness } from './jetstream-harness.ts';

sourceConformance('jetStreamSource', jetStreamSourceHarness);
sinkConformance('jetStreamSink', jetStreamSinkHarness);
