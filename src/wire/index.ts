export * from './messages.js';
export * from './wire-error.js';
export * from './message-limits.js';
export * from './encode-message.js';
export * from './decode-message.js';
export * from './handshake.js';
export * from './peer-id.js';
export * from './frame-decoder.js';
