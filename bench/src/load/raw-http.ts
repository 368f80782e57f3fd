/**
 * @module The webhooks load's HTTP client: requests serialized to bytes ahead of the run, written
 * as they are to kept-alive sockets (one request in flight on each, as `node:http`'s agent does),
 * and answers read only as far as their status and length. `node:http` cost the load process
 * 160–190 ms of CPU a second at 1,000 posts/s, on the two cores the relay and the marks' process
 * share (bench/README.md, workload 9, fourth pass); providers do not post from the relay's machine.
 */
import net from 'node:net'

/** A POST as bytes, ready to write. */
export function serializePost(url: string, headers: Record<string, string>, body: string): Buffer {
  const { host, pathname, search } = new URL(url)
  const bytes = Buffer.from(body)
  let head = `POST ${pathname}${search} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${bytes.length}\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), bytes])
}

interface Waiter {
  request: Buffer
  resolve: (status: number) => void
  reject: (error: Error) => void
}

const HEAD_END = Buffer.from('\r\n\r\n')
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n')

/** One kept-alive connection; `onFree` when it can take the next request. */
class Connection {
  readonly socket: net.Socket
  #current: Waiter | null = null
  #buffered: Buffer = Buffer.alloc(0)
  #dead = false

  constructor(
    port: number,
    host: string,
    onFree: (c: Connection) => void,
    onDead: (c: Connection) => void,
  ) {
    this.socket = net.connect(port, host)
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk
      const answer = this.#answer()
      if (answer === null) return
      const done = this.#current!
      this.#current = null
      done.resolve(answer.status)
      if (!answer.close) return onFree(this)
      this.#dead = true
      this.socket.end()
      onDead(this)
    })
    const die = (error: Error) => {
      if (this.#dead) return
      this.#dead = true
      this.#current?.reject(error)
      this.#current = null
      onDead(this)
    }
    this.socket.on('error', die)
    this.socket.on('close', () => die(Object.assign(new Error('closed'), { code: 'ECONNRESET' })))
  }

  send(w: Waiter) {
    this.#current = w
    this.socket.write(w.request)
  }

  /** The status of a whole answer at the start of the buffer (which drops it), or null. */
  #answer(): { status: number; close: boolean } | null {
    const buf = this.#buffered
    const headEnd = buf.indexOf(HEAD_END)
    if (headEnd < 0) return null
    const head = buf.toString('latin1', 0, headEnd).toLowerCase()
    const status = Number(head.slice(9, 12))
    let end: number
    const length = /\r\ncontent-length: *(\d+)/.exec(head)
    if (length) end = headEnd + 4 + Number(length[1])
    else if (head.includes('\r\ntransfer-encoding: chunked')) {
      const at = buf.indexOf(CHUNKED_END, headEnd + 2)
      if (at < 0) return null
      end = at + CHUNKED_END.length
    } else end = headEnd + 4
    if (buf.length < end) return null
    this.#buffered = buf.subarray(end)
    return { status, close: head.includes('\r\nconnection: close') }
  }
}

/** Up to `max` kept-alive connections to one server; a request waits for a free one. */
export class RawHttpPool {
  #free: Connection[] = []
  #all = new Set<Connection>()
  #queue: Waiter[] = []

  readonly host: string
  readonly port: number
  readonly max: number

  constructor(host: string, port: number, max = 64) {
    this.host = host
    this.port = port
    this.max = max
  }

  /** Writes `request` (serializePost) and resolves with the answer's status once it is whole. */
  post(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const w = { request, resolve, reject }
      const free = this.#free.pop()
      if (free) free.send(w)
      else if (this.#all.size < this.max) this.#open().send(w)
      else this.#queue.push(w)
    })
  }

  close() {
    for (const c of this.#all) c.socket.destroy()
  }

  #open(): Connection {
    const c = new Connection(
      this.port,
      this.host,
      (free) => {
        const next = this.#queue.shift()
        if (next) free.send(next)
        else this.#free.push(free)
      },
      (dead) => {
        this.#all.delete(dead)
        this.#free = this.#free.filter((f) => f !== dead)
        const next = this.#queue.shift()
        if (next) this.#open().send(next)
      },
    )
    this.#all.add(c)
    return c
  }
}
