/**
 * @module The owner of a client or device id as PostgreSQL stores it. The relay's own writer is
 * a member id no member can have (`RELAY_WRITER`, a NUL first), and PostgreSQL text cannot hold
 * NUL; member ids never contain a backslash (core's `isValidId`), so NUL is written as `\0`.
 */
export const ownerColumn = (memberId: string): string => memberId.replaceAll('\0', '\\0')
export const ownerFromColumn = (column: string): string => column.replaceAll('\\0', '\0')
