import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = join(import.meta.dirname, '..', 'src')
const importRe =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

describe('@switchboard/core is pure (DESIGN §3)', () => {
  it('src/ and src/testing/ import nothing but yjs and their own files', () => {
    const bad: string[] = []
    for (const name of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!name.endsWith('.ts')) continue
      for (const m of readFileSync(join(src, name), 'utf8').matchAll(importRe)) {
        const spec = m[1] ?? m[2]!
        if (spec !== 'yjs' && !spec.startsWith('./') && !spec.startsWith('../'))
          bad.push(`${name}: ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })
})
