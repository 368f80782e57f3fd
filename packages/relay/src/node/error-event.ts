/**
 * @module `globalThis.ErrorEvent` where Node lacks it: @hono/node-ws builds one for socket
 * errors, and on Node 20 (which has none) its onError never ran.
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
