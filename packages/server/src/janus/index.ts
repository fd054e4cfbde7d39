export * from './JanusConfig.js';
export * from './JanusErrors.js';
export * from './JanusMessages.js';
export { JanusClient, JANUS_PROTOCOL } from './JanusClient.js';
export type { JanusClientEvents, JanusClientOptions } from './JanusClient.js';
export { JanusSession } from './JanusSession.js';
export type { JanusAttachOptions, JanusSessionEvents } from './JanusSession.js';
export { JanusHandle } from './JanusHandle.js';
export type { JanusHandleEvents, JanusMessageOptions } from './JanusHandle.js';
export { JanusSupervisor, resolveJanusLibDir } from './JanusSupervisor.js';
export type {
  EmbeddedJanusConfig,
  EmbeddedJanusOptions,
  ExternalJanusOptions,
  JanusExitEvent,
  JanusHealthCheckOptions,
  JanusReadyEvent,
  JanusRestartedEvent,
  JanusRestartOptions,
  JanusSupervisorEvents,
  JanusSupervisorOptions,
  JanusUnresponsiveEvent,
} from './JanusSupervisor.js';
export { JanusRoomEngine } from './JanusRoomEngine.js';
export type {
  EnsureRoomResult,
  JanusRoomEngineOptions,
  JanusRoomState,
  RebindResult,
  RoomPlugin,
  RoomSpec,
  VideoCodec,
} from './JanusRoomEngine.js';
