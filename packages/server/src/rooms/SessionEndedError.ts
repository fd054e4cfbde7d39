import { ErrorCode, PalaverError } from '../errors.js';

/** An action asked of a room session that has already ended. */
export class SessionEndedError extends PalaverError {
  constructor(sessionId: string) {
    super(ErrorCode.SessionEnded, `room session has ended [id:${sessionId}]`);
  }
}
