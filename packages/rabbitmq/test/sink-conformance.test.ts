import { sinkConformance } from 'rivulet/connector/conformance';
import { rabbitSinkHarness } from './rabbitmq-harness.ts';

sinkConformance('rabbitSink', rabbitSinkHarness);
