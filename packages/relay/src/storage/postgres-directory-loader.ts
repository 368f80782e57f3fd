/**
 * @module Reading the directory's tables from PostgreSQL into the cache: whole (at start, after an
 * outage, for the small tables that delete rows) or the rows written since the last read.
 *
 * "Since the last read" is by transaction id: a read also takes its snapshot's `xmin` (the oldest
 * transaction still running), and the next read takes the rows whose `xid` is at least that. A
 * transaction that commits after a read began is at least that read's `xmin`, so no row is missed
 * however the relays' commits interleave; a row may be read twice, which changes nothing.
 */
import type postgres from 'postgres'
import type { Sql } from './postgres-connect.ts'
import type { DirectoryState, RowOf, Table } from './postgres-directory-state.ts'
import { tableSpecs } from './postgres-directory-tables.ts'

type Row = Record<string, unknown>
type Reader = Sql | postgres.TransactionSql

/** Where the last read of each incremental table stopped: a transaction id (xid8, as text). */
export type Watermarks = Map<Table, string>

/** The rows whose cached value a read changed, by table: their keys. */
export type ChangedRows = Map<Table, string[]>

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Puts a table's rows in the cache: all of it (`whole`: rows absent from the store go) or some;
 * returns the keys whose value changed.
 */
function apply(state: DirectoryState, table: Table, rows: Row[], whole: boolean): string[] {
  const spec = tableSpecs[table]
  const cached = state.rows[table] as Map<string, unknown>
  const changed: string[] = []
  const seen = new Set<string>()
  for (const row of rows) {
    const key = spec.keyOf(row)
    seen.add(key)
    if (state.isPending(table, key)) continue
    const value = spec.toValue(row)
    if (same(cached.get(key), value)) continue
    state.set(table, key, value as RowOf<typeof table>)
    changed.push(key)
  }
  if (whole)
    for (const key of [...cached.keys()])
      if (!seen.has(key) && !state.isPending(table, key) && state.remove(table, key))
        changed.push(key)
  return changed
}

/**
 * Reads `tables` in one snapshot: those in `whole` (or all, `'all'`) whole, the others that allow
 * it from their watermark, which moves on. Returns the rows whose cached value changed.
 */
export async function loadTables(
  sql: Sql,
  state: DirectoryState,
  watermarks: Watermarks,
  tables: Iterable<Table>,
  whole: ReadonlySet<Table> | 'all',
): Promise<ChangedRows> {
  const changed: ChangedRows = new Map()
  const wanted = [...new Set(tables)]
  if (wanted.length === 0) return changed
  const read = await sql.begin('isolation level repeatable read read only', async (tx) => {
    const [snapshot] = await tx<{ xmin: string }[]>`
      select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`
    const results: { table: Table; rows: Row[]; whole: boolean }[] = []
    for (const table of wanted) {
      const from = watermarks.get(table)
      const all =
        whole === 'all' || whole.has(table) || !tableSpecs[table].incremental || from === undefined
      const rows = all
        ? await tx<Row[]>`select * from ${tx(table)}`
        : await tx<Row[]>`select * from ${tx(table)} where xid >= ${from}::xid8`
      results.push({ table, rows, whole: all })
    }
    return { xmin: snapshot!.xmin, results }
  })
  for (const { table, rows, whole: all } of read.results) {
    const keys = apply(state, table, rows, all)
    if (keys.length > 0) changed.set(table, keys)
    if (tableSpecs[table].incremental) watermarks.set(table, read.xmin)
  }
  return changed
}

/** Reads single rows (qualified refs, see `rowRef`) again: a row the store lacks leaves the cache. */
export async function rereadRows(sql: Reader, state: DirectoryState, refs: Iterable<string>) {
  for (const ref of new Set(refs)) {
    const [table, ...parts] = ref.split('\0') as [Table, ...string[]]
    const spec = tableSpecs[table]
    const where = spec.pk.map((column, i) => `${column} = $${i + 1}`).join(' and ')
    const rows = await sql.unsafe<Row[]>(`select * from ${table} where ${where}`, parts)
    const key = parts.join('\0')
    if (state.isPending(table, key)) continue
    if (rows[0]) state.set(table, key, spec.toValue(rows[0]) as RowOf<typeof table>)
    else state.remove(table, key)
  }
}
