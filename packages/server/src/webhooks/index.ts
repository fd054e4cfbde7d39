export { exponentialBackoff } from './backoff.js';
export type { Backoff, ExponentialBackoffOptions } from './backoff.js';
export { WEBHOOK_EVENT_TYPES, isWebhookEventType, webhookBody } from './events.js';
export type {
  DeliveredPayload,
  ParticipantJoinedPayload,
  ParticipantLeftPayload,
  SessionEndedPayload,
  SessionStartedPayload,
  WebhookEnvelope,
  WebhookEventType,
  WebhookPayloads,
} from './events.js';
export {
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECS,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './signature.js';
export { WebhookDeliveryError } from './WebhookDeliveryError.js';
export type { WebhookFailureKind } from './WebhookDeliveryError.js';
export {
  DEFAULT_GIVE_UP_AFTER_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  WebhookDispatcher,
} from './WebhookDispatcher.js';
export type {
  EnqueueOptions,
  EnqueuedWebhook,
  WebhookAttemptFailed,
  WebhookDelivered,
  WebhookDispatcherEvents,
  WebhookDispatcherOptions,
} from './WebhookDispatcher.js';
export { WEBHOOK_USER_AGENT, WebhookSender } from './WebhookSender.js';
export type { SendResult, WebhookSenderOptions } from './WebhookSender.js';
export { WebhookSigningKey } from './WebhookSigningKey.js';
