import { ErrorCode, PalaverError } from '../errors.js';

/** A voice webhook whose Telnyx signature is missing, stale or wrong. */
export class TelnyxSignatureError extends PalaverError {
  constructor(detail: string) {
    super(ErrorCode.Forbidden, `Telnyx webhook signature rejected: ${detail}`);
  }
}
