import type { TimeFilter } from '../store/listQuery.js';

/** A virtual place where participants meet; lives until deleted. */
export interface Room {
  id: string;
  uniqueName: string | null;
  maxParticipants: number;
  enableRecording: boolean;
  webhookEventUrl: string | null;
  webhookEventFailoverUrl: string;
  webhookTimeoutSecs: number | null;
  /** The session going on now, if any. */
  activeSessionId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A stretch of time during which participants were together in a room. */
export interface RoomSession {
  id: string;
  roomId: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/** One endpoint's presence in one session. */
export interface RoomParticipant {
  id: string;
  sessionId: string;
  /** The app-defined string the client gave when joining. */
  context: string | null;
  joinedAt: string;
  updatedAt: string;
  leftAt: string | null;
}

/** Room settings a client may set at creation or change later. */
export interface RoomSettings {
  uniqueName?: string | null | undefined;
  maxParticipants?: number | undefined;
  enableRecording?: boolean | undefined;
  webhookEventUrl?: string | null | undefined;
  webhookEventFailoverUrl?: string | null | undefined;
  webhookTimeoutSecs?: number | null | undefined;
}

export interface RoomFilter {
  dateCreatedAt?: TimeFilter | undefined;
  dateUpdatedAt?: TimeFilter | undefined;
  uniqueName?: string | undefined;
}

export interface RoomSessionFilter {
  roomId?: string | undefined;
  active?: boolean | undefined;
  dateCreatedAt?: TimeFilter | undefined;
  dateUpdatedAt?: TimeFilter | undefined;
  dateEndedAt?: TimeFilter | undefined;
}

export interface RoomParticipantFilter {
  sessionId?: string | undefined;
  context?: string | undefined;
  dateJoinedAt?: TimeFilter | undefined;
  dateUpdatedAt?: TimeFilter | undefined;
  dateLeftAt?: TimeFilter | undefined;
}
