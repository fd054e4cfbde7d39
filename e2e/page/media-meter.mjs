/* global window, document, AudioContext, MediaStream */
// What the test pages measure of received media, shared by both SDKs' pages (served as
// /media-meter.mjs): video frames as presented, with size and brightness, and audio loudness.

const now = () => Math.round(performance.now());

/**
 * Counts the frames a video element presents into `info` (frames, width, height,
 * firstFrameAt) and samples their mean luma every tenth frame, while `isCurrent()` holds.
 */
export function watchVideoFrames(video, info, isCurrent = () => true) {
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 24;
  const context2d = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = (_now, metadata) => {
    if (!isCurrent()) {
      return;
    }
    info.frames = metadata.presentedFrames;
    info.width = metadata.width;
    info.height = metadata.height;
    info.firstFrameAt ??= now();
    if (info.frames % 10 === 1) {
      context2d.drawImage(video, 0, 0, canvas.width, canvas.height);
      const { data } = context2d.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) {
        sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      }
      info.luma = Math.round(sum / (data.length / 4));
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

let audioContext;

/** Reports a track's RMS level every 50 ms while `isCurrent()` holds. */
export function meterAudio(track, report, isCurrent = () => true) {
  // Chromium feeds a remote WebRTC track into Web Audio only while a media element plays it.
  const element = document.createElement('audio');
  element.muted = true;
  element.srcObject = new MediaStream([track]);
  document.body.append(element);
  void element.play();
  audioContext ??= new AudioContext();
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    if (!isCurrent()) {
      window.clearInterval(timer);
      return;
    }
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) {
      sum += sample * sample;
    }
    report(Math.sqrt(sum / samples.length));
  }, 50);
}
