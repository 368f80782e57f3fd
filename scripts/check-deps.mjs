// The house rules a reader can check without running anything; `pnpm lint` fails on any of them.
// 1. Dependencies point down (DESIGN §3): core imports yjs only; protocol yjs, lib0 and
//    y-protocols only; relay and client never import each other; nothing imports apps/ or e2e/.
// 2. No source file under packages/*/src or apps/web/src is over 400 lines (files marked
//    `@generated` in their first lines aside): a longer one holds more than one concern.
// 3. No runtime import cycle among the relative imports of packages/*/src, apps/web/src,
//    bench/src and reliability/src: a cycle makes evaluation order, and so a binding's
//    initialisation, depend on which module happens to be imported first.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const MAX_LINES = 400

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
    names = readdirSync(join(root, dir))
  } catch {
    return
  }
  for (const name of names) {
    if (skip.has(name)) continue
    const path = join(dir, name)
    if (statSync(join(root, path)).isDirectory()) yield* files(path)
    else if (/\.(ts|js|mjs|svelte)$/.test(name)) yield path
  }
}

const read = (file) => readFileSync(join(root, file), 'utf8')
const sourceDirs = () => [
  ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/src`),
  'apps/web/src',
]

/** The code of a file without comments; for a .svelte file, its <script> blocks. */
function code(file) {
  let text = read(file)
  if (file.endsWith('.svelte'))
    text = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n')
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
}

// Static imports and re-exports (`type` marks the erased ones), side-effect imports, import().
const importRe =
  /(?:^|[\s;])(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]|(?:^|[\s;])import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every module `file` names, with whether it needs it at load: type-only imports are erased,
 * and import() loads lazily, so neither can take part in an evaluation cycle. */
function imports(file) {
  return [...code(file).matchAll(importRe)].map((m) => ({
    spec: m[4] ?? m[5] ?? m[6],
    atLoad: m[5] !== undefined || (m[4] !== undefined && !m[2]),
  }))
}

// ---- 1. dependency direction ------------------------------------------------------------

const problems = []
for (const rule of rules) {
  for (const file of files(rule.dir)) {
    if (/\.test\.ts$/.test(file)) continue
    for (const { spec } of imports(file)) {
      if (spec.startsWith('.')) continue
      if (rule.allowed && !rule.allowed.some((re) => re.test(spec)))
        problems.push(`${file}: imports '${spec}' (only ${rule.allowed.join(', ')} allowed)`)
      if (rule.denied?.some((re) => re.test(spec)))
        problems.push(`${file}: imports '${spec}', which points the wrong way`)
    }
  }
}

// ---- 2. file length ---------------------------------------------------------------------

for (const dir of sourceDirs()) {
  for (const file of files(dir)) {
    const text = read(file)
    if (/@generated/.test(text.split('\n', 5).join('\n'))) continue
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (lines > MAX_LINES)
      problems.push(`${file}: ${lines} lines (at most ${MAX_LINES}: split it along its seams)`)
  }
}

// ---- 3. import cycles -------------------------------------------------------------------

function resolveImport(from, spec) {
  let base
  if (spec.startsWith('.')) base = join(dirname(from), spec)
  else if (spec.startsWith('$lib/') && from.startsWith('apps/web/src/'))
    base = join('apps/web/src/lib', spec.slice(5))
  else return null
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]
  return candidates.find((c) => existsSync(join(root, c)) && statSync(join(root, c)).isFile())
}

const graph = new Map()
for (const dir of [...sourceDirs(), 'bench/src', 'reliability/src'])
  for (const file of files(dir))
    graph.set(
      file,
      imports(file)
        .filter((i) => i.atLoad)
        .map((i) => resolveImport(file, i.spec))
        .filter(Boolean),
    )

// Tarjan's strongly connected components; each component with a loop holds a cycle.
const index = new Map()
const low = new Map()
const stack = []
const onStack = new Set()
const components = []
let counter = 0
function connect(v) {
  index.set(v, counter)
  low.set(v, counter++)
  stack.push(v)
  onStack.add(v)
  for (const w of graph.get(v) ?? []) {
    if (!index.has(w)) {
      connect(w)
      low.set(v, Math.min(low.get(v), low.get(w)))
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
  }
  if (low.get(v) !== index.get(v)) return
  const component = []
  let w
  do {
    w = stack.pop()
    onStack.delete(w)
    component.push(w)
  } while (w !== v)
  components.push(component)
}
for (const v of graph.keys()) if (!index.has(v)) connect(v)

/** One shortest cycle through `start` inside its component. */
function cycleThrough(start, members) {
  const previous = new Map()
  const queue = [start]
  while (queue.length) {
    const v = queue.shift()
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue
      if (w === start) {
        const path = []
        for (let x = v; x !== start; x = previous.get(x)) path.unshift(x)
        return [start, ...path, start]
      }
      if (!previous.has(w)) {
        previous.set(w, v)
        queue.push(w)
      }
    }
  }
  return [start, start]
}

for (const component of components) {
  const members = new Set(component)
  const start = [...component].sort()[0]
  if (component.length === 1 && !(graph.get(start) ?? []).includes(start)) continue
  problems.push(`import cycle: ${cycleThrough(start, members).join(' → ')}`)
}

if (problems.length) {
  console.error('House rules violated:\n' + problems.join('\n'))
  process.exit(1)
}
console.log(
  `dependency direction ok · no source file over ${MAX_LINES} lines · no import cycle (${graph.size} modules)`,
)
