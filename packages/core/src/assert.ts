/** @module Invariant checks: plain Errors, never caught to recover. */

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

export function must<T>(value: T | null | undefined, message: string): T {
  if (value === null || value === undefined) throw new Error(message)
  return value
}
