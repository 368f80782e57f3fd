// Dependencies point down (DESIGN §3): core imports yjs only; the wire protocol yjs, lib0 and
// y-protocols only; relay and client never import each other; nothing imports apps/ or e2e/.
// Fails `pnpm lint` when an import crosses that line.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const rules = [
  { dir: 'packages/core/src', allowed: [/^yjs$/] },
  { dir: 'packages/protocol/src', allowed: [/^yjs$/, /^lib0(\/|$)/, /^y-protocols(\/|$)/] },
  { dir: 'packages/relay/src', denied: [/^@switchboard\/(client|cli|web)/] },
  { dir: 'packages/client/src', denied: [/^@switchboard\/(relay|cli|web)/] },
  { dir: 'e2e', denied: [/^@switchboard\//] },
]
const skip = new Set(['node_modules', '.svelte-kit', 'build', 'test-results', 'playwright-report'])

function* files(dir) {
  let names = []
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    if (skip.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* files(path)
    else if (/\.(ts|js|mjs|svelte)$/.test(name)) yield path
  }
}

const importRe =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
const problems = []
for (const rule of rules) {
  for (const file of files(rule.dir)) {
    const isTest = /\.test\.ts$/.test(file)
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2]
      if (!spec || spec.startsWith('.')) continue
      if (rule.allowed && !rule.allowed.some((re) => re.test(spec)) && !isTest)
        problems.push(`${file}: imports '${spec}' (only ${rule.allowed.join(', ')} allowed)`)
      if (rule.denied?.some((re) => re.test(spec)) && !isTest)
        problems.push(`${file}: imports '${spec}', which points the wrong way`)
    }
  }
}
if (problems.length) {
  console.error('Dependency direction violated:\n' + problems.join('\n'))
  process.exit(1)
}
console.log('dependency direction ok')
