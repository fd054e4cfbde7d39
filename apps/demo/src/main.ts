import { getDevices, initialize } from '@palaver/video';
import type { DisconnectionReason, Participant, Room, State, Stream } from '@palaver/video';
import { icon } from './icons.js';
import type { IconName } from './icons.js';
import { displayName, initialsOf } from './names.js';

// Palaver's demo page. The lobby previews the camera and lets you pick devices; joining asks the
// server's demo-only route for a token (PALAVER_DEMO=1), then the call view shows one tile per
// participant (plus one per screen share) built from the SDK's state, and a chat panel.

/** What `POST /demo/join` answers. */
interface DemoJoin {
  roomId: string;
  token: string;
  tokenExpiresAt: string;
  refreshToken: string;
}

/** One tile's DOM, kept between renders so videos are not restarted. */
interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  avatar: HTMLElement;
  name: HTMLElement;
  phone: HTMLElement;
  micOff: HTMLElement;
  quality: HTMLElement;
}

/** The stream key screen shares are published under. */
const PRESENTATION = 'presentation';

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) {
    throw new Error(`the page has no #${id}`);
  }
  return element as T;
};

const ui = {
  lobby: byId('lobby'),
  preview: byId<HTMLVideoElement>('preview'),
  previewNote: byId('preview-note'),
  form: byId<HTMLFormElement>('join-form'),
  name: byId<HTMLInputElement>('name'),
  room: byId<HTMLInputElement>('room'),
  camera: byId<HTMLSelectElement>('camera'),
  mic: byId<HTMLSelectElement>('mic'),
  join: byId<HTMLButtonElement>('join'),
  joinError: byId('join-error'),
  call: byId('call'),
  roomLabel: byId('room-label'),
  status: byId('status'),
  grid: byId('grid'),
  messages: byId<HTMLOListElement>('messages'),
  chatForm: byId<HTMLFormElement>('chat-form'),
  chatInput: byId<HTMLInputElement>('chat-input'),
  chatButton: byId<HTMLButtonElement>('chat-btn'),
  chatClose: byId<HTMLButtonElement>('chat-close'),
  unread: byId('unread'),
  micButton: byId<HTMLButtonElement>('mic-btn'),
  camButton: byId<HTMLButtonElement>('cam-btn'),
  shareButton: byId<HTMLButtonElement>('share-btn'),
  leaveButton: byId<HTMLButtonElement>('leave-btn'),
  mix: byId<HTMLAudioElement>('mix'),
};

// ------------------------------------------------------------------ lobby

let preview: MediaStream | undefined;

/** Camera and microphone for the preview, and later for the call, from the chosen devices. */
async function openDevices(): Promise<void> {
  preview?.getTracks().forEach((track) => track.stop());
  preview = undefined;
  const pick = (select: HTMLSelectElement): MediaTrackConstraints | boolean =>
    select.value === '' ? true : { deviceId: { exact: select.value } };
  try {
    preview = await navigator.mediaDevices.getUserMedia({
      video: pick(ui.camera),
      audio: pick(ui.mic),
    });
    ui.preview.srcObject = preview;
    ui.previewNote.textContent = 'Camera preview';
  } catch (error) {
    ui.previewNote.textContent = `No camera or microphone: ${describe(error)}. You can still join.`;
  }
  await listDevices();
}

/** Fills the device menus; labels are known once the page may use the devices. */
async function listDevices(): Promise<void> {
  const devices = await getDevices();
  const fill = (select: HTMLSelectElement, list: { label: string; id: string }[], kind: string) => {
    const current =
      preview
        ?.getTracks()
        .find((track) => track.kind === kind)
        ?.getSettings().deviceId ?? select.value;
    select.replaceChildren(
      ...list.map((device, index) => {
        const option = document.createElement('option');
        option.value = device.id;
        option.textContent =
          device.label || `${kind === 'video' ? 'Camera' : 'Microphone'} ${index + 1}`;
        return option;
      }),
    );
    if (list.some((device) => device.id === current)) {
      select.value = current;
    }
  };
  fill(ui.camera, devices?.videoinput ?? [], 'video');
  fill(ui.mic, devices?.audioinput ?? [], 'audio');
}

function showLobby(message?: string): void {
  ui.call.hidden = true;
  ui.lobby.hidden = false;
  ui.join.disabled = false;
  ui.joinError.hidden = message === undefined;
  ui.joinError.textContent = message ?? '';
  void openDevices();
}

// ------------------------------------------------------------------ the call

interface Call {
  room: Room;
  roomName: string;
  name: string;
  camera: MediaStreamTrack | undefined;
  mic: MediaStreamTrack | undefined;
  micOn: boolean;
  camOn: boolean;
  screen: MediaStreamTrack | undefined;
  tiles: Map<string, Tile>;
  /** Who is talking now: from `audio_activity` to `audio_activity_ended`. */
  speaking: Set<string>;
  quality: Map<string, number>;
  subscribed: Set<string>;
  refreshTimer: number | undefined;
  unread: number;
  leaving: boolean;
}

let call: Call | undefined;
/** A problem or a connection change shown in the top bar instead of the head count. */
let notice: string | undefined;

function showNotice(text: string | undefined): void {
  notice = text;
  ui.status.textContent = text ?? '';
  if (call !== undefined) {
    render(call);
  }
}

async function join(name: string, roomName: string): Promise<void> {
  const response = await fetch('/demo/join', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, room: roomName }),
  });
  if (!response.ok) {
    throw new Error(await errorText(response));
  }
  const grant = (await response.json()) as DemoJoin;
  const room = await initialize({
    roomId: grant.roomId,
    clientToken: grant.token,
    context: JSON.stringify({ name }),
    enableMessages: true,
    // The room gateway lives on this page's origin (ws:// on http, wss:// on https).
    server: location.origin,
  });
  const current: Call = {
    room,
    roomName,
    name,
    camera: preview?.getVideoTracks()[0],
    mic: preview?.getAudioTracks()[0],
    micOn: true,
    camOn: true,
    screen: undefined,
    tiles: new Map(),
    speaking: new Set(),
    quality: new Map(),
    subscribed: new Set(),
    refreshTimer: undefined,
    unread: 0,
    leaving: false,
  };
  // The preview's tracks now belong to the call.
  preview = undefined;
  ui.preview.srcObject = null;
  call = current;
  wire(current);
  await room.connect();
  current.camOn = current.camera !== undefined;
  current.micOn = current.mic !== undefined;
  if (current.camera !== undefined || current.mic !== undefined) {
    await room.addStream('self', { audio: current.mic, video: current.camera });
  }
  for (const stream of room.getState().streams.values()) {
    subscribe(current, stream.participantId, stream.key);
  }
  watchNetwork(current);
  playMix(room.getState());
  scheduleRefresh(current, grant);
  history.replaceState(null, '', `?room=${encodeURIComponent(roomName)}`);
  ui.roomLabel.textContent = roomName;
  ui.lobby.hidden = true;
  ui.call.hidden = false;
  ui.messages.replaceChildren();
  render(current);
}

function wire(current: Call): void {
  const { room } = current;
  const rerender = (): void => {
    if (call === current) {
      render(current);
    }
  };
  room.on('state_changed', rerender);
  room.on('stream_published', (participantId, key) => subscribe(current, participantId, key));
  room.on('stream_unpublished', (participantId, key) =>
    current.subscribed.delete(`${participantId}/${key}`),
  );
  room.on('participant_joined', () => watchNetwork(current));
  room.on('audio_activity', (participantId) => {
    current.speaking.add(participantId);
    rerender();
  });
  room.on('audio_activity_ended', (participantId) => {
    current.speaking.delete(participantId);
    rerender();
  });
  room.on('network_metrics_report', (metrics) => {
    for (const [participantId, report] of Object.entries(metrics)) {
      current.quality.set(participantId, report.connectionQuality);
    }
    rerender();
  });
  room.on('message_received', (participantId, message, _recipients, state) => {
    const from = displayName(state.participants.get(participantId));
    if (message.type === 'dtmf') {
      // A phone caller pressed a key.
      addMessage(current, from, `☎ pressed ${message.digit}`);
    } else if (participantId !== state.localParticipantId) {
      // Our own messages come back too; they are already shown, as sent.
      addMessage(current, from, message.payload);
    }
  });
  room.on('reconnecting', (attempt) => {
    showNotice(`Connection lost, reconnecting (attempt ${attempt})…`);
  });
  room.on('reconnected', (state) => {
    showNotice(undefined);
    // The server tells again who talks.
    current.speaking.clear();
    // Subscriptions restart by themselves; the mix is a new track.
    playMix(state);
    rerender();
  });
  room.on('disconnected', (reason) => {
    if (call !== current) {
      return;
    }
    endCall(current);
    showLobby(current.leaving ? undefined : leftBecause(reason));
  });
}

/** Receives every remote stream's video; audio comes mixed (`mixedAudioTrack`). */
function subscribe(current: Call, participantId: string, key: string): void {
  const id = `${participantId}/${key}`;
  const state = current.room.getState();
  const participant = state.participants.get(participantId);
  if (
    participantId === state.localParticipantId ||
    participant?.origin === 'telephony_engine' ||
    current.subscribed.has(id)
  ) {
    return;
  }
  current.subscribed.add(id);
  current.room
    .addSubscription(participantId, key, { audio: false, video: true })
    .catch((error: unknown) => {
      current.subscribed.delete(id);
      showNotice(`Could not receive a stream: ${describe(error)}`);
    });
}

/** Network quality of everyone in the room, reported every few seconds. */
function watchNetwork(current: Call): void {
  const ids = [...current.room.getState().participants.keys()];
  current.room.enableNetworkMetricsReport(ids).catch(() => {
    // Quality bars are a nicety; the call goes on without them.
  });
}

function playMix(state: State): void {
  if (state.mixedAudioTrack !== undefined) {
    ui.mix.srcObject = new MediaStream([state.mixedAudioTrack]);
    ui.mix.play().catch(() => {
      showNotice('Click anywhere to hear the room');
      document.addEventListener(
        'click',
        () => {
          showNotice(undefined);
          void ui.mix.play();
        },
        { once: true },
      );
    });
  }
}

/** Join tokens are short-lived; the refresh token gets new ones before they run out. */
function scheduleRefresh(
  current: Call,
  grant: { tokenExpiresAt: string; refreshToken: string; roomId: string },
): void {
  const due = Math.max(5_000, Date.parse(grant.tokenExpiresAt) - Date.now() - 60_000);
  current.refreshTimer = window.setTimeout(() => {
    void (async () => {
      const response = await fetch(`/v2/rooms/${grant.roomId}/actions/refresh_client_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: grant.refreshToken }),
      });
      if (!response.ok || call !== current) {
        return;
      }
      const { data } = (await response.json()) as {
        data: { token: string; token_expires_at: string };
      };
      await current.room.updateClientToken(data.token);
      scheduleRefresh(current, { ...grant, tokenExpiresAt: data.token_expires_at });
    })().catch((error: unknown) => {
      showNotice(`Could not refresh the join token: ${describe(error)}`);
    });
  }, due);
}

function endCall(current: Call): void {
  window.clearTimeout(current.refreshTimer);
  for (const track of [current.camera, current.mic, current.screen]) {
    track?.stop();
  }
  ui.mix.srcObject = null;
  ui.grid.replaceChildren();
  notice = undefined;
  ui.status.textContent = '';
  ui.shareButton.classList.remove('active');
  document.body.querySelector('.call')?.classList.remove('chat-open');
  call = undefined;
}

// ------------------------------------------------------------------ controls

async function toggleMic(current: Call): Promise<void> {
  if (current.mic === undefined) {
    return;
  }
  current.micOn = !current.micOn;
  await publishSelf(current);
}

async function toggleCamera(current: Call): Promise<void> {
  if (current.camOn) {
    // Stop the camera itself, so its light goes off too.
    current.camera?.stop();
    current.camera = undefined;
    current.camOn = false;
  } else {
    const media = await navigator.mediaDevices.getUserMedia({
      video: ui.camera.value === '' ? true : { deviceId: { exact: ui.camera.value } },
    });
    current.camera = media.getVideoTracks()[0];
    current.camOn = current.camera !== undefined;
  }
  await publishSelf(current);
}

/** Publishes the tracks that are on: a removed track shows as muted on the others' pages. */
async function publishSelf(current: Call): Promise<void> {
  const tracks = {
    audio: current.micOn ? current.mic : undefined,
    video: current.camOn ? current.camera : undefined,
  };
  if (current.room.getLocalStreams().self === undefined) {
    await current.room.addStream('self', tracks);
  } else {
    await current.room.updateStream('self', tracks);
  }
  render(current);
}

async function toggleShare(current: Call): Promise<void> {
  if (current.screen !== undefined) {
    await stopShare(current);
    return;
  }
  const media = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  const track = media.getVideoTracks()[0];
  if (track === undefined) {
    return;
  }
  current.screen = track;
  // The browser's own "Stop sharing" button ends the track.
  track.addEventListener('ended', () => void stopShare(current));
  await current.room.addStream(PRESENTATION, { video: track });
  render(current);
}

async function stopShare(current: Call): Promise<void> {
  const track = current.screen;
  if (track === undefined) {
    return;
  }
  current.screen = undefined;
  track.stop();
  if (current.room.getLocalStreams()[PRESENTATION] !== undefined) {
    await current.room.removeStream(PRESENTATION);
  }
  render(current);
}

function addMessage(current: Call, from: string, text: string, mine = false): void {
  const item = document.createElement('li');
  item.classList.toggle('mine', mine);
  const sender = document.createElement('span');
  sender.className = 'from';
  sender.textContent = mine ? 'You' : from;
  item.append(sender, document.createTextNode(text));
  ui.messages.append(item);
  item.scrollIntoView({ block: 'end' });
  if (!mine && !ui.call.classList.contains('chat-open')) {
    current.unread += 1;
    ui.unread.textContent = String(current.unread);
    ui.unread.hidden = false;
  }
}

function setChatOpen(open: boolean): void {
  ui.call.classList.toggle('chat-open', open);
  ui.chatButton.setAttribute('aria-pressed', String(open));
  if (open && call !== undefined) {
    call.unread = 0;
    ui.unread.hidden = true;
    ui.chatInput.focus();
  }
}

// ------------------------------------------------------------------ rendering

/** One tile per participant and one per extra video stream (a screen share). */
function render(current: Call): void {
  const state = current.room.getState();
  const wanted: { id: string; participant: Participant; key: string }[] = [];
  for (const participant of state.participants.values()) {
    wanted.push({ id: participant.id, participant, key: 'self' });
    for (const key of Object.keys(participant.streams)) {
      if (key === PRESENTATION) {
        wanted.push({ id: `${participant.id}/${key}`, participant, key });
      }
    }
  }
  const keep = new Set(wanted.map((w) => w.id));
  for (const [id, tile] of current.tiles) {
    if (!keep.has(id)) {
      tile.root.remove();
      current.tiles.delete(id);
    }
  }
  wanted.forEach((w, index) => {
    let tile = current.tiles.get(w.id);
    if (tile === undefined) {
      tile = createTile();
      current.tiles.set(w.id, tile);
    }
    if (ui.grid.children[index] !== tile.root) {
      ui.grid.insertBefore(tile.root, ui.grid.children[index] ?? null);
    }
    updateTile(current, state, tile, w.participant, w.key);
  });
  const narrow = window.matchMedia('(max-width: 720px)').matches;
  const count = wanted.length;
  const cols = narrow ? (count <= 2 ? 1 : 2) : count <= 1 ? 1 : count <= 4 ? 2 : 3;
  ui.grid.style.setProperty('--cols', String(cols));
  ui.grid.dataset.count = String(count);
  const people = state.participants.size;
  ui.status.textContent = notice ?? `${people} ${people === 1 ? 'person' : 'people'} here`;
  ui.micButton.classList.toggle('off', !current.micOn);
  ui.micButton.setAttribute('aria-pressed', String(current.micOn));
  setText(ui.micButton, current.micOn ? 'Mute' : 'Unmute', current.micOn ? 'mic' : 'micOff');
  ui.camButton.classList.toggle('off', !current.camOn);
  ui.camButton.setAttribute('aria-pressed', String(current.camOn));
  setText(
    ui.camButton,
    current.camOn ? 'Stop video' : 'Start video',
    current.camOn ? 'camera' : 'cameraOff',
  );
  ui.shareButton.classList.toggle('active', current.screen !== undefined);
  ui.shareButton.setAttribute('aria-pressed', String(current.screen !== undefined));
  setText(ui.shareButton, current.screen !== undefined ? 'Stop sharing' : 'Share screen', 'share');
}

function setText(button: HTMLButtonElement, text: string, iconName?: IconName): void {
  const label = button.querySelector('.txt');
  if (label !== null) {
    label.textContent = text;
  }
  button.title = text;
  const glyph = button.querySelector<HTMLElement>('.ico');
  if (iconName !== undefined && glyph !== null && glyph.dataset.icon !== iconName) {
    glyph.dataset.icon = iconName;
    glyph.innerHTML = icon(iconName);
  }
}

function createTile(): Tile {
  const root = document.createElement('article');
  root.className = 'tile';
  root.innerHTML =
    '<video autoplay muted playsinline></video>' +
    '<div class="avatar"><span></span></div>' +
    '<div class="quality" role="img"><i></i><i></i><i></i><i></i><i></i></div>' +
    `<div class="label"><span class="phone" title="On the phone">${icon('phone')} Phone</span>` +
    '<span class="name"></span>' +
    `<span class="muted" role="img" aria-label="Microphone muted" title="Microphone muted">${icon('micOff')}</span></div>`;
  const part = <T extends HTMLElement>(selector: string): T => root.querySelector(selector) as T;
  return {
    root,
    video: part<HTMLVideoElement>('video'),
    avatar: part('.avatar'),
    name: part('.name'),
    phone: part('.phone'),
    micOff: part('.muted'),
    quality: part('.quality'),
  };
}

function updateTile(
  current: Call,
  state: State,
  tile: Tile,
  participant: Participant,
  key: string,
): void {
  const local = participant.id === state.localParticipantId;
  const phone = participant.origin === 'telephony_engine';
  const streamId =
    participant.streams[key] ?? (phone ? Object.values(participant.streams)[0] : undefined);
  const stream: Stream | undefined =
    streamId === undefined ? undefined : state.streams.get(streamId);
  const name = displayName(participant) + (local ? ' (you)' : '');
  const presentation = key === PRESENTATION;

  let track: MediaStreamTrack | undefined;
  if (local) {
    track = presentation ? current.screen : current.camOn ? current.camera : undefined;
  } else if (stream !== undefined && stream.isVideoEnabled && !stream.isVideoCensored) {
    track = stream.videoTrack;
  }
  const currentTrack = (tile.video.srcObject as MediaStream | null)?.getVideoTracks()[0];
  if (track !== currentTrack) {
    tile.video.srcObject = track === undefined ? null : new MediaStream([track]);
  }
  tile.video.hidden = track === undefined;
  tile.avatar.hidden = track !== undefined;
  const initials = tile.avatar.firstElementChild as HTMLElement;
  if (phone) {
    initials.innerHTML = icon('phone');
  } else {
    initials.textContent = initialsOf(displayName(participant));
  }

  // A phone caller has no stream of its own (its voice is in the mix): muted only by a moderator.
  const micMuted = local
    ? !current.micOn
    : phone
      ? participant.isAudioCensored === true
      : stream === undefined || !stream.isAudioEnabled || stream.isAudioCensored;
  tile.micOff.hidden = presentation || !micMuted;
  tile.name.textContent = presentation ? `${name}: screen` : name;
  tile.phone.hidden = !phone;
  tile.root.classList.toggle('local', local);
  tile.root.classList.toggle('camera', !presentation);
  tile.root.classList.toggle('presentation', presentation);
  tile.root.classList.toggle('phone', phone);
  tile.root.dataset.participantId = participant.id;
  tile.root.dataset.name = displayName(participant);
  tile.root.setAttribute('aria-label', tile.name.textContent);
  if (micMuted && !presentation) {
    // A muted microphone sends nothing, so no end of talking is heard for it.
    current.speaking.delete(participant.id);
  }
  const speaking = !presentation && current.speaking.has(participant.id);
  tile.root.classList.toggle('speaking', speaking);

  const level = current.quality.get(participant.id);
  tile.quality.hidden = presentation || level === undefined;
  tile.quality.dataset.level = String(level ?? 0);
  tile.quality.setAttribute('aria-label', `Network quality ${level ?? 0} of 5`);
  tile.quality.title = `Network quality ${level ?? 0} of 5`;
  tile.quality.querySelectorAll('i').forEach((bar, index) => {
    bar.classList.toggle('on', index < (level ?? 0));
  });
}

function leftBecause(reason: DisconnectionReason): string {
  switch (reason) {
    case 'kicked':
      return 'You were removed from the room.';
    case 'session_terminated':
    case 'room_expired':
      return 'The room session ended.';
    case 'unauthorized':
    case 'forbidden':
      return 'The server refused the join token.';
    default:
      return `You were disconnected (${reason}).`;
  }
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: { detail?: string; title?: string }[] };
    const first = body.errors?.[0];
    return first?.detail ?? first?.title ?? `HTTP ${response.status}`;
  } catch {
    return response.status === 404
      ? 'This server is not in demo mode (PALAVER_DEMO=1).'
      : `HTTP ${response.status}`;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ------------------------------------------------------------------ start

function start(): void {
  setText(ui.chatButton, 'Chat', 'chat');
  setText(ui.leaveButton, 'Leave', 'leave');
  setText(ui.micButton, 'Mute', 'mic');
  setText(ui.camButton, 'Stop video', 'camera');
  setText(ui.shareButton, 'Share screen', 'share');
  const params = new URLSearchParams(location.search);
  ui.room.value = params.get('room') ?? 'hello';
  ui.name.value = localStorage.getItem('palaver-demo-name') ?? '';
  ui.camera.addEventListener('change', () => void openDevices());
  ui.mic.addEventListener('change', () => void openDevices());
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.name.value.trim();
    const roomName = ui.room.value.trim();
    localStorage.setItem('palaver-demo-name', name);
    ui.join.disabled = true;
    ui.joinError.hidden = true;
    join(name, roomName).catch((error: unknown) => {
      if (call !== undefined) {
        const failed = call;
        endCall(failed);
        void failed.room.disconnect().catch(() => undefined);
      }
      showLobby(`Could not join: ${describe(error)}`);
    });
  });
  const act = (action: (current: Call) => Promise<void>) => () => {
    if (call !== undefined) {
      action(call).catch((error: unknown) => {
        showNotice(describe(error));
      });
    }
  };
  ui.micButton.addEventListener('click', act(toggleMic));
  ui.camButton.addEventListener('click', act(toggleCamera));
  ui.shareButton.addEventListener('click', act(toggleShare));
  ui.leaveButton.addEventListener(
    'click',
    act(async (current) => {
      current.leaving = true;
      await current.room.disconnect();
    }),
  );
  ui.chatButton.addEventListener('click', () =>
    setChatOpen(!ui.call.classList.contains('chat-open')),
  );
  ui.chatClose.addEventListener('click', () => setChatOpen(false));
  ui.chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.chatInput.value.trim();
    const current = call;
    if (text === '' || current === undefined) {
      return;
    }
    ui.chatInput.value = '';
    current.room
      .sendMessage({ type: 'text', payload: text })
      .then(() => addMessage(current, current.name, text, true))
      .catch((error: unknown) => {
        showNotice(`Message not sent: ${describe(error)}`);
      });
  });
  window.addEventListener('resize', () => {
    if (call !== undefined) {
      render(call);
    }
  });
  void openDevices();
}

start();
