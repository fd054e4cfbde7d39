export * from './g711.js';
export * from './wav.js';
export * from './generate.js';
export * from './resample.js';
export * from './analysis.js';
export * from './speech.js';
export { fft, nextPowerOfTwo } from './fft.js';
