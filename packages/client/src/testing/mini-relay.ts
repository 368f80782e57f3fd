/**
 * Test-only stand-in for @switchboard/relay while it is being written: the y-websocket
 * protocol with acks (type 100), login/refresh/me, rooms kept in memory across restarts.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  ingestActivity,
  setMember,
  setPhoneNumber,
  grantAccess,
  type Activity,
} from '@switchboard/core'

const members = ['alice', 'bob', 'carol'].map((n) => ({
  id: n,
  email: `${n}@example.com`,
  name: n[0]!.toUpperCase() + n.slice(1),
  role: n === 'alice' ? 'owner' : 'member',
})) as { id: string; email: string; name: string; role: 'owner' | 'member' }[]

export interface MiniRelay {
  url: string
  port: number
  docs: Map<string, Y.Doc>
  ingest(activity: Activity): void
  kill(): Promise<void>
  restart(): Promise<void>
}

export async function startMiniRelay(): Promise<MiniRelay> {
  const docs = new Map<string, Y.Doc>()
  const conns = new Map<string, Set<WebSocket>>()
  const getDoc = (room: string) => {
    let d = docs.get(room)
    if (!d) docs.set(room, (d = new Y.Doc()))
    return d
  }
  const ws = getDoc('workspace')
  for (const m of members) setMember(ws, m)
  setPhoneNumber(ws, { id: 'pn1', name: 'Support', number: '+15550001' })
  for (const m of members) grantAccess(ws, m.id, 'pn1')

  const send = (socket: WebSocket, write: (e: encoding.Encoder) => void) => {
    const e = encoding.createEncoder()
    write(e)
    if (socket.readyState === socket.OPEN) socket.send(encoding.toUint8Array(e))
  }
  const broadcast = (room: string, update: Uint8Array, except: WebSocket | null) => {
    for (const c of conns.get(room) ?? [])
      if (c !== except)
        send(c, (e) => {
          encoding.writeVarUint(e, 0)
          syncProtocol.writeUpdate(e, update)
        })
  }

  let server: Server
  let wss: WebSocketServer
  let port = 0
  const listen = async () => {
    server = createServer(async (req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      let body = ''
      for await (const chunk of req) body += chunk
      const auth = (req.headers.authorization ?? '').replace('Bearer ', '')
      const who = members.find((m) => auth === `tok-${m.id}`)
      if (req.url === '/api/login') {
        const { email } = JSON.parse(body) as { email: string }
        const m = members.find((x) => x.email === email)
        if (!m) return json(401, { error: 'bad login' })
        return json(200, { token: `tok-${m.id}`, expiresAt: Date.now() + 3600_000, member: m })
      }
      if (!who) return json(401, { error: 'unauthorized' })
      if (req.url === '/api/refresh')
        return json(200, { token: auth, expiresAt: Date.now() + 3600_000, member: who })
      if (req.url === '/api/me')
        return json(200, {
          member: who,
          phoneNumbers: [{ id: 'pn1', name: 'Support', number: '+15550001' }],
          rooms: [],
        })
      json(404, {})
    })
    wss = new WebSocketServer({ noServer: true })
    server.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://x')
      const room = decodeURIComponent(u.pathname.replace(/^\/sync\//, ''))
      wss.handleUpgrade(req, socket, head, (socket) => {
        if (!members.some((m) => u.searchParams.get('token') === `tok-${m.id}`)) {
          socket.close(4401, 'token')
          return
        }
        const ack = u.searchParams.get('ack') === '1'
        const doc = getDoc(room)
        const set = conns.get(room) ?? new Set()
        conns.set(room, set)
        set.add(socket)
        const awareness = new awarenessProtocol.Awareness(new Y.Doc())
        socket.on('error', () => {})
        socket.on('close', () => set.delete(socket))
        socket.on('message', (data: Buffer) => {
          const d = decoding.createDecoder(new Uint8Array(data))
          const type = decoding.readVarUint(d)
          if (type === 0) {
            const step = decoding.readVarUint(d)
            const payload = decoding.readVarUint8Array(d)
            if (step === 0) {
              send(socket, (e) => {
                encoding.writeVarUint(e, 0)
                syncProtocol.writeSyncStep2(e, doc, payload)
              })
            } else {
              Y.applyUpdate(doc, payload, socket)
              broadcast(room, payload, socket)
              if (ack) {
                const clients = new Set(Y.decodeUpdate(payload).structs.map((s) => s.id.client))
                for (const c of clients)
                  send(socket, (e) => {
                    encoding.writeVarUint(e, 100)
                    encoding.writeVarUint(e, c)
                    encoding.writeVarUint(e, Y.getState(doc.store, c))
                  })
              }
            }
          } else if (type === 1) {
            const update = decoding.readVarUint8Array(d)
            awarenessProtocol.applyAwarenessUpdate(awareness, update, socket)
            for (const c of set)
              if (c !== socket)
                send(c, (e) => {
                  encoding.writeVarUint(e, 1)
                  encoding.writeVarUint8Array(e, update)
                })
          }
        })
        send(socket, (e) => {
          encoding.writeVarUint(e, 0)
          syncProtocol.writeSyncStep1(e, doc)
        })
      })
    })
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  }
  await listen()
  const relay: MiniRelay = {
    url: `http://127.0.0.1:${port}`,
    port,
    docs,
    ingest(activity) {
      const doc = getDoc(`inbox:${activity.phoneNumberId}`)
      const before = Y.encodeStateVector(doc)
      ingestActivity(doc, activity, 'relay')
      broadcast(`inbox:${activity.phoneNumberId}`, Y.encodeStateAsUpdate(doc, before), null)
    },
    async kill() {
      for (const set of conns.values()) for (const c of set) c.terminate()
      conns.clear()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
    async restart() {
      await listen()
    },
  }
  return relay
}
