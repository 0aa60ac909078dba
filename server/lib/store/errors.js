'use strict';
// Errors the store hands to its callers. Only two things matter to them: the
// database could not be reached (retry later: the HTTP layer answers 503 and
// Auth0 resends), or anything else (a bug or bad input: 500, not retried blindly).

/** The database did not answer; the next call may work (the pool reconnects). */
class StoreUnavailableError extends Error {
  /**
   * @param {string} message
   * @param {unknown} [cause] the driver's error, kept for debugging, never shown to clients
   */
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailableError';
    this.code = 'store_unavailable';
  }
}

/** The database was migrated by a newer ActionGuard than this one. */
class SchemaTooNewError extends Error {
  /**
   * @param {number} found
   * @param {number} known
   */
  constructor(found, known) {
    super(`database schema is at version ${found}, newer than the ${known} this actionguard-server knows: upgrade it (never downgrade against a migrated database)`);
    this.name = 'SchemaTooNewError';
    this.code = 'store_schema_too_new';
    this.found = found;
    this.known = known;
  }
}

// Node's socket errors for a peer that is gone or unreachable.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
// PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
const PG_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
// pg's own messages when the socket went away under it (no code is set on these).
const PG_UNAVAILABLE_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /not queryable/i, /connection.*(closed|ended)/i, /query read timeout/i];

/**
 * Whether a pg (or socket) error means "the database is not reachable now".
 * @param {any} err
 */
function isPgUnavailable(err) {
  if (!err || typeof err !== 'object') return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (NETWORK_CODES.has(code) || PG_UNAVAILABLE_STATES.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code)) return true; // class 08: connection exception
  if (err instanceof AggregateError && err.errors.some(isPgUnavailable)) return true; // happy-eyeballs connect
  const message = typeof err.message === 'string' ? err.message : '';
  return PG_UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

// SQLite: the file is locked past busy_timeout, unreadable, or the disk is full.
// Retrying later is the right answer to each, so they are "unavailable" too.
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/;

/** @param {any} err */
function isSqliteUnavailable(err) {
  return Boolean(err && typeof err.code === 'string' && SQLITE_UNAVAILABLE.test(err.code));
}

/**
 * The error to throw: connection-class failures become StoreUnavailableError,
 * everything else is passed through as it is.
 * @param {unknown} err
 * @param {(err: unknown) => boolean} isUnavailable
 */
function mapError(err, isUnavailable) {
  if (err instanceof StoreUnavailableError || err instanceof SchemaTooNewError) return err;
  if (isUnavailable(err)) {
    const detail = err && typeof err === 'object' && 'code' in err && err.code ? String(err.code) : 'connection lost';
    return new StoreUnavailableError(`database unavailable (${detail})`, err);
  }
  return err;
}

module.exports = { StoreUnavailableError, SchemaTooNewError, isPgUnavailable, isSqliteUnavailable, mapError };
