/** @module @switchboard/core/testing — seeded PRNG, simulated network, reference models, fuzz. */
export { createPrng } from './prng.ts'
export type { Prng } from './prng.ts'
export { createNetwork, NETWORK } from './network.ts'
export type { Network, NetworkOptions, SimDevice, SimRelay } from './network.ts'
export { modelStep, oracleConversations, compareAt } from './model.ts'
export type { ModelEvent, ModelState, OracleLane, OracleMark } from './model.ts'
export { runFuzz, formatFuzzFailure } from './fuzz.ts'
export type { FuzzOptions, FuzzResult } from './fuzz.ts'
