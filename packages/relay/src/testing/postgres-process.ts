/**
 * @module A throwaway PostgreSQL cluster as a process, for suites that drive the relay from the
 * outside and import none of its code (e2e/): `node --import tsx postgres-process.ts` starts one
 * (testing/postgres.ts), prints `{"url": …}` (a fresh database) on a line, and deletes the cluster
 * when its stdin closes or it is asked to stop.
 */
import { startTestPostgres } from './postgres.ts'

const cluster = await startTestPostgres()
const url = await cluster.createDatabase()
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await cluster.destroy()
  process.exit(0)
}
process.stdin.on('end', () => void stop())
process.stdin.on('close', () => void stop())
process.stdin.resume()
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
console.log(JSON.stringify({ url }))
