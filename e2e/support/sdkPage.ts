import type { BrowserPage } from './harness.js';

// Reading and driving the test page (page/client.mjs) from the tests.

export interface SdkEvent {
  name: string;
  t: number;
  args: unknown[];
}

export interface ClientView {
  events: SdkEvent[];
  errors: string[];
  timings: Record<string, number>;
  videos: Record<
    string,
    {
      frames: number;
      firstFrameAt?: number;
      luma: number;
      subscribedAt: number;
      width?: number;
      height?: number;
    }
  >;
  audio: { mixedMaxRms: number; streamMaxRms: number };
  localParticipantId: string;
  status: string;
  streams: {
    participantId: string;
    key: string;
    origin: string;
    isAudioCensored: boolean;
    isVideoCensored: boolean;
  }[];
}

/** Calls `window.client[method](arg)` in the page (see page/client.mjs). */
export const inPage = <T = unknown>(page: BrowserPage, method: string, arg?: unknown): Promise<T> =>
  page.page.evaluate(
    ({ method, arg }) =>
      (globalThis as unknown as { client: Record<string, (arg: unknown) => unknown> }).client[
        method
      ]!(arg),
    { method, arg },
  ) as Promise<T>;

export const view = (page: BrowserPage): Promise<ClientView> =>
  inPage<ClientView>(page, 'snapshot');

export const names = (events: SdkEvent[]): string[] => events.map((e) => e.name);

/** The SDK events of one kind, with their arguments (the state argument is left out). */
export const eventsNamed = (v: ClientView, name: string): unknown[][] =>
  v.events.filter((e) => e.name === name).map((e) => e.args.slice(0, -1));

/** Whether the page sees another participant's video moving and hears audio from the room. */
export const seesAndHears = (v: ClientView, minFrames = 20): boolean => {
  const remote = Object.values(v.videos)[0];
  return remote !== undefined && remote.frames >= minFrames && v.audio.mixedMaxRms > 0.01;
};
