/** @module @switchboard/core/testing — seeded PRNG, simulated network, reference models, fuzz. */
export { createPrng } from './prng.ts'
export type { Prng } from './prng.ts'
export { createNetwork, NETWORK } from './network.ts'
export type { Network, NetworkOptions, SimDevice, SimRelay } from './network.ts'
export { modelStep, oracleConversations, compareAt } from './model.ts'
export type { ModelEvent, ModelState, OracleLane, OracleMark } from './model.ts'
export { runFuzz, formatFuzzFailure } from './fuzz.ts'
export type { FuzzOptions, FuzzResult } from './fuzz.ts'
export { craftUpdate } from './craft.ts'
export type {
  CraftedContent,
  CraftedStruct,
  CraftedItem,
  CraftedGC,
  CraftedDelete,
} from './craft.ts'
export { runAttackFuzz, rootValues, AttackRoomKinds } from './attack.ts'
export type { AttackOptions, AttackResult, AttackRoomKind } from './attack.ts'
