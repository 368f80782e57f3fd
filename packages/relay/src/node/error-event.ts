/**
 * @module `globalThis.ErrorEvent` where Node lacks it: the upgrade glue (ws-upgrade.ts) builds
 * one for socket errors, and on Node 20 (which has none) onError would never run.
 */
const globals = globalThis as unknown as Record<string, unknown>
globals.ErrorEvent ??= class ErrorEvent extends Event {
  readonly error: unknown
  readonly message: string
  constructor(type: string, init: { error?: unknown; message?: string } = {}) {
    super(type)
    this.error = init.error
    this.message = init.message ?? String(init.error ?? '')
  }
}
export {}
