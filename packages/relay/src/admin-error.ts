/** @module The error of an admin change the caller can act on: a status and the field at fault. */
export class AdminError extends Error {
  readonly field: string
  readonly status: 400 | 403 | 404 | 409 | 410
  constructor(status: 400 | 403 | 404 | 409 | 410, field: string, message: string) {
    super(message)
    this.name = 'AdminError'
    this.status = status
    this.field = field
  }
}
