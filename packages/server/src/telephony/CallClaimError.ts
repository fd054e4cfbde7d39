import { ErrorCode, PalaverError } from '../errors.js';

/**
 * Why a stream could not claim its call: no call has this ref, the ref was used already, its
 * 90 s (by default) ran out, the call ended before the stream came, or its room is full.
 */
export type CallClaimFailure = 'unknown' | 'used' | 'expired' | 'ended' | 'full';

/** A media stream presented a `ref` that claims no call. */
export class CallClaimError extends PalaverError {
  readonly reason: CallClaimFailure;
  /** The call the ref belonged to, when there is one. */
  readonly callId: string | undefined;

  private constructor(reason: CallClaimFailure, message: string, callId?: string) {
    super(reason === 'unknown' ? ErrorCode.ResourceNotFound : ErrorCode.Forbidden, message);
    this.reason = reason;
    this.callId = callId;
  }

  static unknown(): CallClaimError {
    return new CallClaimError('unknown', 'no call has this ref');
  }

  static used(callId: string): CallClaimError {
    return new CallClaimError('used', `the ref of call ${callId} was used already`, callId);
  }

  static expired(callId: string): CallClaimError {
    return new CallClaimError('expired', `the ref of call ${callId} expired`, callId);
  }

  static full(callId: string): CallClaimError {
    return new CallClaimError('full', `the room of call ${callId} is full`, callId);
  }

  static ended(callId: string): CallClaimError {
    return new CallClaimError('ended', `call ${callId} ended before its stream came`, callId);
  }
}
