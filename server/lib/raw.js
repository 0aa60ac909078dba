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
  const lines = body.split('\n');
  return (index) => (lines[index] ?? '').trim();
}

/** @param {string} text */
const excerpt = (text) => (text.length > EXCERPT_CHARS ? text.slice(0, EXCERPT_CHARS) : text);

module.exports = { entriesOf, excerpt, EXCERPT_CHARS };
