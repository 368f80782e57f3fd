import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from './main.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('main(): settings from the environment', () => {
  it.each([
    ['HISTORY_HORIZON_MS', '90d'],
    ['HISTORY_HORIZON_MS', '-1'],
    ['COMPACT_EVERY', '2.5'],
    ['EPOCH_LOAD_ITEMS', 'many'],
    ['EPOCH_LOAD_WRITERS', '-5'],
    ['MAX_SOCKETS_PER_MEMBER', 'lots'],
    ['MAX_SYNC_BYTES_PER_MEMBER', '1e99'],
    ['MAX_PRESENCE_BYTES', '8k'],
    ['PRESENCE_UPDATES_PER_SECOND', '0.5'],
    ['RESTORE_RETENTION_DAYS', '30d'],
  ])('%s=%s is refused with its name before DATA_DIR is touched', async (name, value) => {
    const parent = mkdtempSync(join(tmpdir(), 'sb-env-'))
    dirs.push(parent)
    const dataDir = join(parent, 'data')
    await expect(main({ DATA_DIR: dataDir, PORT: '0', [name]: value })).rejects.toThrow(
      `${name} must be a whole number ≥ 0, got "${value}"`,
    )
    expect(existsSync(dataDir)).toBe(false)
  })
})
