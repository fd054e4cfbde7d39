export * from './audio/index.js';
export * from './errors.js';
export * from './frames.js';
export * from './texml.js';
export * from './ids.js';
export * from './webhooks.js';
export { WebhookSigner, verifyWebhookSignature, type SignatureHeaders } from './WebhookSigner.js';
export { MediaClock, FRAME_MS, type TickListener } from './MediaClock.js';
export { CallerAudio, SAMPLES_PER_FRAME, type CallerCodec } from './CallerAudio.js';
export { PlayoutBuffer, type PlayoutOptions, type PlayoutPull } from './PlayoutBuffer.js';
export {
  FaultInjector,
  emptyFaultCounters,
  hasFrameFaults,
  type FaultCounters,
  type FaultOptions,
} from './FaultInjector.js';
export { Histogram, percentiles, histogramPercentiles, type Percentiles } from './Histogram.js';
export { SeededRandom } from './SeededRandom.js';
export { TypedEmitter, type EventMap } from './TypedEmitter.js';
export * from './SimulatedCall.js';
export * from './StubConnector.js';
export { StubStream } from './StubStream.js';
export * from './LoadRunner.js';
export { loadCallerAudio, type CallerAudioSpec } from './loadCallerAudio.js';
export { formatCallSummary, formatLoadReport } from './report.js';
export { createCallCommand, type CliOutput } from './cli/callCommand.js';
export {
  createAnalyzeCommand,
  createKeygenCommand,
  createStubCommand,
} from './cli/otherCommands.js';
export { createPhoneSimProgram } from './cli/program.js';
