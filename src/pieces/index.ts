export * from './pieces-error.js';
export * from './bitfield.js';
export * from './availability-buckets.js';
export * from './picker-types.js';
export * from './piece-picker.js';
