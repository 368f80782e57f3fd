/**
 * @module The real relay for attacks: in this process (the relay's test harness,
 * `@switchboard/relay/testing`, over SQLite in a temp DATA_DIR), as the operators' process
 * (`node --import tsx src/main.ts` by the harness's spawnRelayProcess, SIGKILL-able), and a
 * seeded workspace of members and phone numbers.
 */
import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  seedWorkspace,
  spawnRelayProcess,
  startTestRelayServer,
  type RelayProcess,
  type RelayServer,
  type RelayServerOptions,
  type TestRelayServer,
  type TestWorkspace,
} from '@switchboard/relay/testing'

export const PASSWORD = 'demo-password'
export const SECRET = 'reliability-secret-0123456789abcdef'
export const WEBHOOK_SECRET = 'reliability-webhook-secret'
const here = dirname(fileURLToPath(import.meta.url))
export const RELAY_PACKAGE = join(here, '../../../packages/relay')
export const FIXTURES = join(here, '../fixtures')

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `sb-rel-${prefix}-`))

export interface Session {
  token: string
  expiresAt: number
  member: { id: string; email: string; name: string; role: 'owner' | 'admin' | 'member' | 'viewer' }
}

export async function login(url: string, email: string): Promise<Session> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    })
    if (res.status === 200) return (await res.json()) as Session
    if (attempt > 20) throw new Error(`login ${email}: HTTP ${res.status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface WorkspaceSeed {
  phoneNumbers: string[]
  /** [memberId, role, phone numbers] */
  members: [string, 'owner' | 'admin' | 'member' | 'viewer', string[]][]
}

/** Seeds `workspace` through the relay's test harness (a store with members is left alone). */
export async function seed(srv: RelayServer, workspace: WorkspaceSeed): Promise<void> {
  await seedWorkspace(srv.relay, testWorkspace(workspace))
}

const testWorkspace = (workspace: WorkspaceSeed): TestWorkspace => ({
  password: PASSWORD,
  phoneNumbers: workspace.phoneNumbers.map((id, i) => ({
    id,
    name: `Line ${i}`,
    number: `+1415555${1000 + i}`,
  })),
  members: workspace.members.map(([id, role, phoneNumbers]) => ({ id, role, phoneNumbers })),
})

export interface LocalRelay extends TestRelayServer {
  dataDir: string
}

/** The relay's test harness in this process over SQLite in `dataDir` (a new temp dir by default). */
export async function startLocalRelay(
  options: Partial<RelayServerOptions> & { dataDir?: string; workspace?: WorkspaceSeed } = {},
): Promise<LocalRelay> {
  const { workspace, ...rest } = options
  const dataDir = options.dataDir ?? tempDir('relay')
  const srv = await startTestRelayServer({
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    loginLimit: { perEmail: 1000, perIp: 100_000, windowMs: 60_000 },
    ...rest,
    dataDir,
    workspace: workspace && testWorkspace(workspace),
  })
  return { ...srv, dataDir }
}

export const webhookSignature = (raw: string) =>
  'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')

export type { RelayProcess }

/**
 * Spawns `node --import tsx <script>` (the relay's own src/main.ts by default) through the
 * relay's harness, with the demo password and an IPC channel; resolves once it logs "relay
 * listening". SIGKILL hits the relay itself, not a wrapper.
 */
export const spawnRelay = (
  env: Record<string, string>,
  script = join(RELAY_PACKAGE, 'src/main.ts'),
): Promise<RelayProcess> =>
  spawnRelayProcess({ SWITCHBOARD_DEMO_PASSWORD: PASSWORD, ...env }, { script, ipc: true })
