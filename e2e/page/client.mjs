/* global window, document, MediaStream */
// Drives the unmodified @telnyx/video bundle (served as /sdk.mjs) in the page and measures
// what a user would see and hear: every SDK event with its time, remote video frames and their
// brightness, and the energy of remote audio. The test reads `window.client` through Playwright.

// immer inside the bundle reads process.env.NODE_ENV, as a bundler would have replaced it.
window.process = { env: { NODE_ENV: 'production' } };
const { initialize } = await import('/sdk.mjs');
const { meterAudio, watchVideoFrames } = await import('/media-meter.mjs');

const EVENTS = [
  'connected',
  'disconnected',
  'participant_joined',
  'participant_leaving',
  'participant_left',
  'stream_published',
  'stream_unpublished',
  'subscription_started',
  'subscription_ended',
  'track_censored',
  'track_uncensored',
  'audio_activity',
  'message_received',
];

const client = {
  events: [],
  errors: [],
  timings: {},
  videos: {},
  audio: { mixedMaxRms: 0, streamMaxRms: 0 },
  room: undefined,
};
window.client = client;
window.addEventListener('unhandledrejection', (event) => client.errors.push(String(event.reason)));
window.addEventListener('error', (event) => client.errors.push(String(event.message)));

const now = () => Math.round(performance.now());
const subscribing = new Set();

function record(name, args) {
  const plain = args.map((arg) => {
    if (arg === null || ['string', 'number', 'boolean'].includes(typeof arg)) {
      return arg;
    }
    if (Array.isArray(arg)) {
      return arg;
    }
    // The state object is large and full of tracks; messages are small plain objects.
    return arg && typeof arg === 'object' && 'payload' in arg ? { ...arg } : undefined;
  });
  client.events.push({ name, t: now(), args: plain });
}

client.connect = async ({ roomId, token, context }) => {
  // A page may join again (a new Room): start its record afresh.
  client.events = [];
  client.timings = {};
  client.videos = {};
  subscribing.clear();
  const started = now();
  client.timings.connectStartedAt = started;
  const room = await initialize({ roomId, clientToken: token, context, enableMessages: true });
  client.room = room;
  for (const name of EVENTS) {
    room.on(name, (...args) => record(name, args));
  }
  room.on('stream_published', (participantId, key) => {
    subscribe(participantId, key).catch((error) => client.errors.push(String(error)));
  });
  room.on('subscription_started', (participantId, key) => watch(participantId, key));
  client.timings.initializeMs = now() - started;
  await room.connect();
  client.timings.connectMs = now() - started;
  client.localParticipantId = room.getLocalParticipant().id;
  watchMixedAudio();
  // Streams published before we connected appear in the state without an event.
  for (const stream of room.getState().streams.values()) {
    if (stream.origin === 'remote') {
      await subscribe(stream.participantId, stream.key);
    }
  }
};

client.publish = async () => {
  const media = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: 320, height: 240, frameRate: 15 },
  });
  const started = now();
  client.camera = media.getVideoTracks()[0];
  await client.room.addStream('self', {
    audio: media.getAudioTracks()[0],
    video: client.camera,
  });
  client.timings.publishMs = now() - started;
};

/**
 * What a user does to speak again after being muted: a fresh microphone track on the published
 * stream, through the SDK's own API.
 */
client.unmuteSelf = async () => {
  const media = await navigator.mediaDevices.getUserMedia({ audio: true });
  await client.room.updateStream('self', {
    audio: media.getAudioTracks()[0],
    video: client.camera,
  });
};

async function subscribe(participantId, key) {
  const id = `${participantId}/${key}`;
  if (subscribing.has(id) || participantId === client.localParticipantId) {
    return;
  }
  subscribing.add(id);
  client.timings[`subscribe:${id}`] = now();
  await client.room.addSubscription(participantId, key, { audio: true, video: true });
}

function watch(participantId, key) {
  const id = `${participantId}/${key}`;
  const stream = client.room.getParticipantStream(participantId, key);
  const info = { frames: 0, firstFrameAt: undefined, luma: 0, subscribedAt: now() };
  client.videos[id] = info;
  if (stream?.videoTrack) {
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([stream.videoTrack]);
    document.body.append(video);
    void video.play();
    watchVideoFrames(video, info);
  }
  if (stream?.audioTrack) {
    meterAudio(stream.audioTrack, (rms) => {
      client.audio.streamMaxRms = Math.max(client.audio.streamMaxRms, rms);
    });
  }
}

function watchMixedAudio() {
  const track = client.room.getState().mixedAudioTrack;
  if (track) {
    meterAudio(track, (rms) => {
      client.audio.mixedMaxRms = Math.max(client.audio.mixedMaxRms, rms);
    });
  }
}

client.resetAudio = () => {
  client.audio.mixedMaxRms = 0;
  client.audio.streamMaxRms = 0;
};

client.send = (text) => client.room.sendMessage({ type: 'text', payload: text });

client.disconnect = () => client.room.disconnect();

client.updateToken = (token) => client.room.updateClientToken(token);

/** What the test reads: plain data only. */
client.snapshot = () =>
  JSON.parse(
    JSON.stringify({
      events: client.events,
      errors: client.errors,
      timings: client.timings,
      videos: client.videos,
      audio: client.audio,
      localParticipantId: client.localParticipantId,
      status: client.room?.getState().status,
      streams: [...(client.room?.getState().streams.values() ?? [])].map((stream) => ({
        participantId: stream.participantId,
        key: stream.key,
        origin: stream.origin,
        isAudioCensored: stream.isAudioCensored,
        isVideoCensored: stream.isVideoCensored,
      })),
    }),
  );

window.clientReady = true;
