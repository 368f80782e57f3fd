/**
 * @module The relay's admin API as the CLI calls it: the session's token (refreshed once when it
 * expired or was refused, the new single-use refresh token written back), and every refusal told
 * in the relay's own words with the field it names. Several relays: the one that last answered
 * first, then the others while relays are down (relays.ts).
 */
import { fetchRelays, sessionRelays } from './relays.ts'
import { CliError, currentDataDir, readSession, writeSession, type Session } from './session.ts'

/** Where the session lives: `--data DIR`, else the current login. */
export interface HttpCtx {
  data: string | undefined
  env: NodeJS.ProcessEnv
}

/** A token this close to its end is refreshed before the call. */
const EARLY_MS = 30_000

async function refresh(
  dataDir: string,
  session: Session,
  env: NodeJS.ProcessEnv,
): Promise<Session | null> {
  if (!session.refreshToken) return null
  const { res, url } = await fetchRelays(sessionRelays(session, env), '/api/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: session.refreshToken }),
  })
  if (!res.ok) return null
  const body = (await res.json()) as { token: string; expiresAt: number; refreshToken?: string }
  const next: Session = {
    ...readSession(dataDir),
    url,
    token: body.token,
    expiresAt: body.expiresAt,
    ...(body.refreshToken ? { refreshToken: body.refreshToken } : {}),
  }
  writeSession(dataDir, next)
  return next
}

/** Calls the relay as the logged-in member; the parsed JSON answer, or a CliError. */
export async function relayCall<T>(
  ctx: HttpCtx,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const dataDir = currentDataDir(ctx.data, ctx.env)
  let session = readSession(dataDir)
  if (session.expiresAt < Date.now() + EARLY_MS)
    session = (await refresh(dataDir, session, ctx.env)) ?? session
  const send = async (s: Session) => {
    const sent = await fetchRelays(sessionRelays(s, ctx.env), path, {
      method,
      headers: {
        authorization: `Bearer ${s.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (sent.url !== s.url) writeSession(dataDir, { ...readSession(dataDir), url: sent.url })
    return sent.res
  }
  let res = await send(session)
  if (res.status === 401) {
    const renewed = await refresh(dataDir, session, ctx.env)
    if (renewed) res = await send(renewed)
  }
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: the status says what happened
  }
  if (res.ok) return parsed as T
  if (res.status === 401)
    throw new CliError('session expired or revoked: run `switchboard login` again')
  const { error, field } = (parsed ?? {}) as { error?: string; field?: string }
  const message = error ?? (text.trim() || `${res.status} ${res.statusText}`)
  throw new CliError(field ? `${field}: ${message}` : message)
}
