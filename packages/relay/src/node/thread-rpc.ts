/**
 * @module Calls between the relay's main thread and a thread of its own over their MessagePort,
 * gathered per turn: the calls and answers made in one turn of a thread's event loop go as one
 * message, so a busy listener costs the main loop one message event per turn, not one per post.
 */

/** The side of the channel a thread holds: a Worker on the main thread, parentPort in the thread. */
export interface RpcPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handlers = Record<string, (...args: any[]) => unknown>

/** A call (`id` 0: a note, answered by nobody) or an answer, as they travel. */
type Call = [id: number, name: string, args: unknown[]]
type Answer = [id: number, ok: boolean, value: unknown]
interface Batch {
  rpc: 1
  calls: Call[]
  answers: Answer[]
}

export interface RpcOptions {
  /** What of a handler's error crosses to the caller (it must be cloneable). */
  encodeError?: (err: unknown) => unknown
  /** The error the caller's promise rejects with. */
  decodeError?: (encoded: unknown) => Error
}

export interface Rpc<Remote extends Handlers> {
  /** Calls the other side's handler; resolves with what it returned (or resolved with). */
  call<K extends keyof Remote & string>(
    name: K,
    ...args: Parameters<Remote[K]>
  ): Promise<Awaited<ReturnType<Remote[K]>>>
  /** Calls the other side's handler without waiting for an answer. */
  note<K extends keyof Remote & string>(name: K, ...args: Parameters<Remote[K]>): void
  /** Rejects every call still waiting (the other side is gone). */
  fail(reason: string): void
}

const defaultEncode = (err: unknown) => (err instanceof Error ? err.message : String(err))
const defaultDecode = (encoded: unknown) => new Error(String(encoded))

/** Serves `handlers` to the other side of `port` and calls its own. */
export function createRpc<Remote extends Handlers>(
  port: RpcPort,
  handlers: Handlers,
  options: RpcOptions = {},
): Rpc<Remote> {
  const encode = options.encodeError ?? defaultEncode
  const decode = options.decodeError ?? defaultDecode
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  let nextId = 1
  let out: Batch | null = null

  const outgoing = (): Batch => {
    if (!out) {
      out = { rpc: 1, calls: [], answers: [] }
      setImmediate(flush)
    }
    return out
  }
  function flush() {
    const batch = out
    out = null
    if (batch) port.postMessage(batch)
  }
  const answer = (id: number, ok: boolean, value: unknown) => {
    if (id !== 0) outgoing().answers.push([id, ok, value])
  }

  function run([id, name, args]: Call) {
    const handler = handlers[name]
    if (!handler) return answer(id, false, encode(new Error(`no handler ${name}`)))
    let result: unknown
    try {
      result = handler(...args)
    } catch (err) {
      return answer(id, false, encode(err))
    }
    if (result instanceof Promise)
      result.then(
        (value) => answer(id, true, value),
        (err: unknown) => answer(id, false, encode(err)),
      )
    else answer(id, true, result)
  }

  port.on('message', (message) => {
    const batch = message as Partial<Batch>
    if (batch?.rpc !== 1) return
    for (const [id, ok, value] of batch.answers ?? []) {
      const w = waiting.get(id)
      if (!w) continue
      waiting.delete(id)
      if (ok) w.resolve(value)
      else w.reject(decode(value))
    }
    for (const call of batch.calls ?? []) run(call)
  })

  return {
    call(name, ...args) {
      const id = nextId++
      outgoing().calls.push([id, name, args])
      return new Promise((resolve, reject) =>
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject }),
      )
    },
    note(name, ...args) {
      outgoing().calls.push([0, name, args])
    },
    fail(reason) {
      for (const w of waiting.values()) w.reject(new Error(reason))
      waiting.clear()
    },
  }
}
