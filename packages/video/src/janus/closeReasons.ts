import { DisconnectionReason } from '../types.js';

/**
 * WebSocket close code → why the room ended. 1000, 1006, 3999 and 4000 are those of
 * `@telnyx/video`; the rest are Palaver's gateway closes (docs/gateway.md).
 */
export function reasonForCloseCode(code: number): DisconnectionReason {
  switch (code) {
    case 1000:
      return DisconnectionReason.USER_INITIATED;
    // Abnormal closure (no close frame), server going away, media server unreachable or
    // restarting: the network or the server failed, and joining again may work.
    case 1001:
    case 1006:
    case 1011:
    case 1012:
    case 1013:
      return DisconnectionReason.NETWORK_ERROR;
    case 3999:
      return DisconnectionReason.TIMED_OUT;
    case 4000:
      return DisconnectionReason.SESSION_TERMINATED;
    case 4001:
      return DisconnectionReason.UNAUTHORIZED;
    default:
      return DisconnectionReason.UNKNOWN;
  }
}

/** The close code the SDK sends when it ends the session for `reason`. */
export function closeCodeForReason(reason: DisconnectionReason): number | undefined {
  switch (reason) {
    case DisconnectionReason.USER_INITIATED:
      return 1000;
    case DisconnectionReason.TIMED_OUT:
      return 3999;
    case DisconnectionReason.SESSION_TERMINATED:
      return 4000;
    default:
      // 1006 may not be sent by a client; other reasons close without a code.
      return undefined;
  }
}

/** A gateway refusal's `status_code` → the reason it ends the room with, if it does. */
export function reasonForStatusCode(status: number): DisconnectionReason | undefined {
  switch (status) {
    case 401:
      return DisconnectionReason.UNAUTHORIZED;
    case 403:
      return DisconnectionReason.FORBIDDEN;
    case 503:
      return DisconnectionReason.NETWORK_ERROR;
    default:
      return undefined;
  }
}

/** Reasons after which rejoining can succeed. */
export function isReconnectable(reason: DisconnectionReason): boolean {
  return reason === DisconnectionReason.NETWORK_ERROR || reason === DisconnectionReason.TIMED_OUT;
}
