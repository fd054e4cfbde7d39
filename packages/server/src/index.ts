export { PalaverServer } from './PalaverServer.js';
export type { PalaverServerOptions } from './PalaverServer.js';
export { loadConfig, ConfigError, CONFIG_ENV } from './config.js';
export type { Config, ConfigOverrides } from './config.js';
export { createLogger } from './logger.js';
export { Store } from './store/Store.js';
export * from './errors.js';
