import type { BrowserPage } from './harness.js';

// What the phone e2e test needs from a page beyond page/palaver-video-client.mjs: the
// AudioBridge mute notices that reach the page's connection to the room.

/** The parts of a Janus event frame read here. */
interface AudioBridgeFrame {
  plugindata?: {
    data?: {
      audiobridge?: unknown;
      participants?: { muted?: unknown; display?: unknown }[];
    };
  };
}

export interface MuteNotice {
  /** The participant id in the leg's display. */
  participantId: string;
  muted: boolean;
}

/**
 * Collects the AudioBridge participant updates that carry a `muted` flag as they reach the
 * page's connections (Janus's notice of a moderator mute). Call before the page connects.
 */
export function watchMuteNotices(page: BrowserPage): MuteNotice[] {
  const notices: MuteNotice[] = [];
  page.page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (!text.includes('"muted"')) {
        return;
      }
      let frame: AudioBridgeFrame;
      try {
        frame = JSON.parse(text) as AudioBridgeFrame;
      } catch {
        return;
      }
      const data = frame.plugindata?.data;
      if (data?.audiobridge !== 'event' || !Array.isArray(data.participants)) {
        return;
      }
      for (const participant of data.participants) {
        if (typeof participant.muted !== 'boolean' || typeof participant.display !== 'string') {
          continue;
        }
        const shown = JSON.parse(Buffer.from(participant.display, 'base64').toString('utf8')) as {
          participantId?: unknown;
        };
        if (typeof shown.participantId === 'string') {
          notices.push({ participantId: shown.participantId, muted: participant.muted });
        }
      }
    });
  });
  return notices;
}
