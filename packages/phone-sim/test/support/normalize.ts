/** Replaces the values that differ per run (ids, payloads, clocks) so frames can be snapshotted. */
export function normalizeFrame(text: string): string {
  return JSON.stringify(JSON.parse(text), (key, value: unknown) => {
    if (typeof value !== 'string') {
      return value;
    }
    switch (key) {
      case 'stream_id':
        return '<stream_id>';
      case 'user_id':
        return '<account_sid>';
      case 'call_control_id':
        return '<call_sid>';
      case 'call_session_id':
        return '<call_session_id>';
      case 'sequence_number':
        return '<n>';
      case 'occurred_at':
        return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) ? '<iso time>' : value;
      case 'payload':
        return `<${Buffer.from(value, 'base64').length} bytes>`;
      default:
        return value;
    }
  });
}

/** Waits until `check` is true (polling), or fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
