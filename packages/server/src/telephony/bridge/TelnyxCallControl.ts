import type { Logger } from 'pino';

export interface TelnyxCallControlOptions {
  /** Base URL of Telnyx's API (a stub in tests). */
  apiUrl: string;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * The one Telnyx Call Control request the bridge makes: hanging up a call whose room ended it
 * (kick, session end, room deleted, `POST /v2/sip/call/end`). Closing the media stream alone
 * would leave the caller listening to the TeXML `<Pause>`.
 */
export class TelnyxCallControl {
  readonly #apiUrl: string;
  readonly #logger: Logger;
  readonly #timeoutMs: number;

  constructor(options: TelnyxCallControlOptions) {
    this.#apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** `POST /v2/calls/{call_control_id}/actions/hangup`; resolves whether Telnyx accepted it. */
  async hangup(
    callControlId: string,
    apiKey: string,
    context: { callId: string },
  ): Promise<boolean> {
    const url = `${this.#apiUrl}/v2/calls/${encodeURIComponent(callControlId)}/actions/hangup`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command_id: `palaver-${context.callId}` }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        this.#logger.info({ callId: context.callId }, 'phone bridge: hung up the call at Telnyx');
        return true;
      }
      this.#logger.warn(
        { callId: context.callId, status: response.status },
        'phone bridge: Telnyx refused to hang up the call',
      );
      return false;
    } catch (error) {
      this.#logger.warn(
        { callId: context.callId, err: error },
        'phone bridge: could not reach Telnyx to hang up the call',
      );
      return false;
    }
  }
}
