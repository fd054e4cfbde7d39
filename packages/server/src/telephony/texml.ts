// The TeXML documents Palaver answers Telnyx's voice webhook with. They are small and fixed, so
// they are written out directly; every value that reaches an attribute or text is escaped.

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Escapes text for an XML attribute value or element content. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

/** How long `<Pause>` holds the call open while the stream runs (VideoSDK's value). */
export const STREAM_PAUSE_SECS = 86_400;

/**
 * Starts a bidirectional μ-law stream to `streamUrl` and keeps the call up, exactly as VideoSDK's
 * Telnyx connector answers.
 */
export function streamTexml(streamUrl: string): string {
  return [
    XML_DECLARATION,
    '<Response>',
    '<Start>',
    `<Stream url="${escapeXml(streamUrl)}" track="both_tracks" bidirectionalMode="rtp" bidirectionalCodec="PCMU" />`,
    '</Start>',
    `<Pause length="${STREAM_PAUSE_SECS}" />`,
    '</Response>',
    '',
  ].join('\n');
}

export const NO_ROOM_MESSAGE =
  'Sorry, this call cannot be connected: no room is set up for this number. Goodbye.';

export const ROOM_FULL_MESSAGE =
  'Sorry, this call cannot be connected: the room is full. Please try again later. Goodbye.';

/** Tells the caller why the call cannot be connected (no room, by default), then hangs up. */
export function noRoomTexml(message: string = NO_ROOM_MESSAGE): string {
  return [
    XML_DECLARATION,
    '<Response>',
    `<Say>${escapeXml(message)}</Say>`,
    '<Hangup />',
    '</Response>',
    '',
  ].join('\n');
}

/** Answers a request that needs no instructions (a status callback). */
export function emptyTexml(): string {
  return `${XML_DECLARATION}\n<Response />\n`;
}
