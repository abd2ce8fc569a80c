export { chokeDecision, compareIds, DEFAULT_REGULAR_SLOTS } from './choke-decision.js';
export type { ChokeDecision, ChokeOptions, ChokePeer, ChokeState } from './choke-decision.js';
export { pickOptimistic, NEW_PEER_WEIGHT } from './pick-optimistic.js';
export type { PickOptimisticOptions } from './pick-optimistic.js';
export { choker, CHOKER_DEFAULTS } from './choker.js';
export type { ChokeChanges, ChokerDeps, ChokerInput, ChokerOptions } from './choker.js';
