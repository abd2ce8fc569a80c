export { type BackoffConfig, backoffDelay } from './backoff-delay.js';
export { type RetryBackoffConfig, retryBackoff } from './retry-backoff.js';
export { type FrameEvent, type FramesOptions, frames } from './frames.js';
