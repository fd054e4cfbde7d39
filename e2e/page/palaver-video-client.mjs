/* global window, document, MediaStream */
// Drives @palaver/video's one-file bundle (served as /palaver-video.js) in the page, and
// measures what a user would see and hear: every SDK event with its time, each remote video's
// frames and brightness, the energy of the mixed room audio. It subscribes to every remote
// stream, again after a reconnection. The test reads `window.client` through Playwright, in the
// shape of page/client.mjs (e2e/support/sdkPage.ts).
const { getDevices, initialize } = await import('/palaver-video.js');
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
  'track_enabled',
  'track_disabled',
  'track_censored',
  'track_uncensored',
  'audio_activity',
  'message_received',
  'reconnecting',
  'reconnected',
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
const subscribed = new Set();
/** What each subscription receives; audio comes mixed unless `connect` asks for it. */
let subscription = { audio: false, video: true };

function plain(arg) {
  if (arg === null || ['string', 'number', 'boolean'].includes(typeof arg) || Array.isArray(arg)) {
    return arg;
  }
  // The state is large and full of tracks; messages (chat text, a phone caller's keys) are small
  // plain objects.
  return arg && typeof arg === 'object' && ('payload' in arg || 'digit' in arg)
    ? { ...arg }
    : undefined;
}

client.connect = async ({ roomId, token, context, server, subscribe: config, reconnect }) => {
  subscription = config ?? { audio: false, video: true };
  client.events = [];
  client.videos = {};
  subscribed.clear();
  const started = now();
  client.timings = { connectStartedAt: started };
  const room = await initialize({
    roomId,
    clientToken: token,
    context,
    server,
    enableMessages: true,
    ...(reconnect === undefined ? {} : { reconnect }),
  });
  client.room = room;
  for (const name of EVENTS) {
    room.on(name, (...args) => client.events.push({ name, t: now(), args: args.map(plain) }));
  }
  room.on('stream_published', (participantId, key) => subscribe(participantId, key));
  room.on('stream_unpublished', (participantId, key) =>
    subscribed.delete(`${participantId}/${key}`),
  );
  room.on('subscription_started', (participantId, key) => watch(participantId, key));
  room.on('reconnected', () => watchMixedAudio());
  client.timings.initializeMs = now() - started;
  await room.connect();
  client.timings.connectMs = now() - started;
  client.localParticipantId = room.getLocalParticipant().id;
  watchMixedAudio();
  // Streams published before we connected are in the state, without events.
  for (const stream of room.getState().streams.values()) {
    if (stream.origin === 'remote') {
      subscribe(stream.participantId, stream.key);
    }
  }
};

/**
 * Publishes the camera and microphone as 'self'. Options: `video` constraints (default 320×240
 * at 15 fps), `simulcast` to send three layers, `audioDeviceId` / `videoDeviceId`.
 */
client.publish = async (options = {}) => {
  const media = await navigator.mediaDevices.getUserMedia(constraints(options));
  const started = now();
  const [audio] = media.getAudioTracks();
  const [video] = media.getVideoTracks();
  if (options.simulcast) {
    // Chromium then keeps each layer's size when the CPU or the bandwidth is short.
    video.contentHint = 'detail';
  }
  client.camera = video;
  client.mic = audio;
  await client.room.addStream('self', {
    audio,
    video: options.simulcast ? { track: video, options: { enableSimulcast: true } } : video,
  });
  client.timings.publishMs = now() - started;
};

function constraints({ video, audioDeviceId, videoDeviceId }) {
  const device = (id) => (id === undefined ? {} : { deviceId: { exact: id } });
  return {
    audio: audioDeviceId === undefined ? true : device(audioDeviceId),
    video: { ...(video ?? { width: 320, height: 240, frameRate: 15 }), ...device(videoDeviceId) },
  };
}

/** The browser's cameras and microphones, as the SDK lists them. */
client.devices = () => getDevices();

/**
 * Switches the published camera and microphone to other devices during the call (like a device
 * menu does), and stops the old ones. Returns the new tracks' device ids.
 */
client.switchDevices = async (options) => {
  const media = await navigator.mediaDevices.getUserMedia(constraints(options));
  const [audio] = media.getAudioTracks();
  const [video] = media.getVideoTracks();
  await client.room.updateStream('self', { audio, video });
  client.camera?.stop();
  client.mic?.stop();
  client.camera = video;
  client.mic = audio;
  return { audio: audio.getSettings().deviceId, video: video.getSettings().deviceId };
};

/** Receives another simulcast layer of a subscription. */
client.setLayer = ({ participantId, key, layer }) =>
  client.room.updateSubscription(participantId, key, { ...subscription, layer });

/** Shares a "screen": a canvas that changes every frame, as the stream key 'presentation'. */
client.share = async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const context2d = canvas.getContext('2d');
  let tick = 0;
  window.setInterval(() => {
    tick += 1;
    context2d.fillStyle = `hsl(${(tick * 7) % 360} 70% 50%)`;
    context2d.fillRect(0, 0, canvas.width, canvas.height);
    context2d.fillStyle = '#fff';
    context2d.fillRect((tick * 8) % canvas.width, 100, 80, 80);
  }, 66);
  const [track] = canvas.captureStream(15).getVideoTracks();
  await client.room.addStream('presentation', { video: track });
};

function subscribe(participantId, key) {
  const id = `${participantId}/${key}`;
  if (subscribed.has(id) || participantId === client.localParticipantId) {
    return;
  }
  subscribed.add(id);
  client.room.addSubscription(participantId, key, subscription).catch((error) => {
    subscribed.delete(id);
    client.errors.push(`subscribe ${id}: ${String(error)}`);
  });
}

function watch(participantId, key) {
  const id = `${participantId}/${key}`;
  const stream = client.room.getParticipantStream(participantId, key);
  const previous = client.videos[id];
  const info = {
    frames: 0,
    luma: 0,
    subscribedAt: now(),
    // A reconnection restarts the subscription with new tracks: count how often.
    starts: (previous?.starts ?? 0) + 1,
  };
  client.videos[id] = info;
  if (!stream?.videoTrack) {
    return;
  }
  document.querySelector(`video[data-id="${id}"]`)?.remove();
  const video = document.createElement('video');
  video.dataset.id = id;
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([stream.videoTrack]);
  document.body.append(video);
  void video.play();
  watchVideoFrames(video, info, () => client.videos[id] === info);
}

let mixedTrack;
function watchMixedAudio() {
  const track = client.room.getState().mixedAudioTrack;
  if (!track || track === mixedTrack) {
    return;
  }
  mixedTrack = track;
  meterAudio(
    track,
    (rms) => {
      client.audio.mixedMaxRms = Math.max(client.audio.mixedMaxRms, rms);
    },
    () => mixedTrack === track,
  );
}

client.resetAudio = () => {
  client.audio.mixedMaxRms = 0;
  client.audio.streamMaxRms = 0;
};

client.send = (text) => client.room.sendMessage({ type: 'text', payload: text });

client.disconnect = () => client.room.disconnect();

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
      streams: client.room
        ? [...client.room.getState().streams.values()].map((s) => ({
            participantId: s.participantId,
            key: s.key,
            origin: s.origin,
            isAudioCensored: s.isAudioCensored,
            isVideoCensored: s.isVideoCensored,
          }))
        : [],
    }),
  );

window.clientReady = true;
