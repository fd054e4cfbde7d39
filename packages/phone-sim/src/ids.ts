import { randomBytes, randomUUID } from 'node:crypto';

/** The identifiers Telnyx gives one call. */
export interface CallIdentity {
  /** The account (also `start.user_id`). */
  accountSid: string;
  /** The call_control_id, `v3:…`; also CallSidLegacy. */
  callSid: string;
  callSessionId: string;
  /** The TeXML application's connection id (a long decimal string). */
  connectionId: string;
  from: string;
  to: string;
}

/** A call_control_id in Telnyx's `v3:` shape. */
export function newCallControlId(): string {
  return `v3:${randomBytes(40).toString('base64url')}`;
}

export function newUuid(): string {
  return randomUUID();
}

/** A 19-digit connection id. */
export function newConnectionId(): string {
  const digits = randomBytes(19).map((b) => 48 + (b % 10));
  digits[0] = 49 + (digits[0]! % 9);
  return Buffer.from(digits).toString('ascii');
}

export function newCallIdentity(
  fields: Partial<CallIdentity> & { from: string; to: string },
): CallIdentity {
  return {
    accountSid: fields.accountSid ?? newUuid(),
    callSid: fields.callSid ?? newCallControlId(),
    callSessionId: fields.callSessionId ?? newUuid(),
    connectionId: fields.connectionId ?? newConnectionId(),
    from: fields.from,
    to: fields.to,
  };
}
