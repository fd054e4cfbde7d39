import type { TimeFilter } from '../store/listQuery.js';
import type { VideoRegion } from './composition/CompositionLayout.js';

export type { VideoRegion };

export type RecordingType = 'audio' | 'video';
export type RecordingStatus = 'processing' | 'completed' | 'failed';
export type CompositionStatus = 'enqueued' | 'processing' | 'completed' | 'failed';

/** One participant's track, recorded by Janus and converted to a playable file. */
export interface RoomRecording {
  id: string;
  roomId: string;
  sessionId: string;
  participantId: string;
  streamKey: string;
  type: RecordingType;
  codec: string;
  status: RecordingStatus;
  /** The raw Janus recording, relative to the recordings folder. */
  sourcePath: string;
  /** The converted file, relative to the recordings folder. */
  filePath: string | null;
  durationMs: number | null;
  sizeBytes: number | null;
  attempts: number;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RecordingFilter {
  dateStartedAt?: TimeFilter | undefined;
  dateEndedAt?: TimeFilter | undefined;
  roomId?: string | undefined;
  participantId?: string | undefined;
  sessionId?: string | undefined;
  status?: string | undefined;
  type?: string | undefined;
  /** At least this long. */
  minDurationSecs?: number | undefined;
}

/** A session's recordings laid out into one video. */
export interface RoomComposition {
  id: string;
  roomId: string;
  sessionId: string;
  status: CompositionStatus;
  format: string;
  resolution: string;
  videoLayout: Record<string, VideoRegion>;
  webhookEventUrl: string | null;
  webhookEventFailoverUrl: string | null;
  webhookTimeoutSecs: number | null;
  /** 0–100. */
  progress: number;
  filePath: string | null;
  durationMs: number | null;
  sizeBytes: number | null;
  attempts: number;
  error: string | null;
  startedAt: string | null;
  endedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CompositionFilter {
  dateCreatedAt?: TimeFilter | undefined;
  sessionId?: string | undefined;
  status?: string | undefined;
}

export interface CompositionRequest {
  sessionId: string;
  format?: string | undefined;
  resolution?: string | undefined;
  videoLayout?: Record<string, VideoRegion> | undefined;
  webhookEventUrl?: string | null | undefined;
  webhookEventFailoverUrl?: string | null | undefined;
  webhookTimeoutSecs?: number | null | undefined;
}
