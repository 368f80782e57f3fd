/** @module Hocuspocus (`@hocuspocus/server` 3.x, the newest line that runs on Node 20) with its defaults. */
import { Server } from '@hocuspocus/server'

const server = new Server({ port: Number(process.env.PORT), address: '127.0.0.1', quiet: true })
await server.listen()
process.stdout.write('ready\n')
