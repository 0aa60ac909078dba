'use strict';
// The raw entries of a body the core read: the store keeps each log and audit record
// whole (an investigation needs every field; the core keeps only what detection reads),
// and the core names each by `index`, counted as it counts them: the lines of the body
// (blank lines count), the elements of a JSON-array body, or a single log object
// printed over several lines.

const EXCERPT_CHARS = 512;

/**
 * @param {string} body
 * @returns {(index: number) => string}
 */
function entriesOf(body) {
  if (/^\s*\[/.test(body)) {
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed)) return (index) => (index < parsed.length ? (JSON.stringify(parsed[index]) ?? '') : '');
  }
  if (/^\s*\{/.test(body) && body.trim().includes('\n')) {
    // One log printed over several lines (the core reads it as entry 0).
    try {
      if (JSON.parse(body) !== null) return (index) => (index === 0 ? body.trim() : '');
    } catch {
      // JSON lines: read below.
    }
  }
  return linesOf(body);
}

/**
 * The lines of a body, as the core counts them (blank lines count): how the core
 * reads an audit webhook body, whatever else the body would parse as.
 * @param {string} body
 * @returns {(index: number) => string}
 */
function linesOf(body) {
  const lines = body.split('\n');
  return (index) => (lines[index] ?? '').trim();
}

/**
 * At most EXCERPT_CHARS of a rejected entry, each NUL replaced by U+FFFD: a line the
 * core could not read may hold one, and PostgreSQL's text refuses it (the whole batch
 * would fail, and be retried forever).
 * @param {string} text
 */
const excerpt = (text) => {
  const cut = text.length > EXCERPT_CHARS ? text.slice(0, EXCERPT_CHARS) : text;
  return cut.includes('\u0000') ? cut.replaceAll('\u0000', '\ufffd') : cut;
};

module.exports = { entriesOf, linesOf, excerpt, EXCERPT_CHARS };
