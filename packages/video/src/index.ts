/**
 * `@palaver/video`: Palaver's browser SDK for video rooms. The surface of `@telnyx/video` 1.0.2
 * (port an app by changing its import), talking to your own Palaver server, plus reconnection
 * after network drops and simulcast layer choice.
 *
 * @packageDocumentation
 */
export { getDevices, initialize, version } from './initialize.js';
export { Room } from './Room.js';
export { VideoError, SdkErrorCode } from './VideoError.js';
export type { VideoErrorCode, VideoErrorOptions } from './VideoError.js';
export { ConnectionQualityLevel, DisconnectionReason, RoomEvent } from './types.js';
export type {
  DeviceInfo,
  Devices,
  DtmfMessage,
  Events,
  InitializeOptions,
  LogLevel,
  Message,
  NetworkDirection,
  NetworkMetrics,
  Participant,
  PublishOptions,
  ReceivedMessage,
  ReconnectOptions,
  SimulcastLayer,
  State,
  Stream,
  StreamNetworkMetrics,
  StreamTracks,
  Subscription,
  SubscriptionConfig,
  Unsubscribe,
  WebRTCStats,
} from './types.js';
