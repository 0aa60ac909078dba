'use strict';
// `actionguard logs import <file|dir>`: Auth0 logs from files into the store, by the
// same path as a stream batch (ingestBody: the core reads, the store keeps each
// log_id once, rejects with their reasons). JSON lines are read from a stream, a
// bounded chunk at a time, and each chunk is committed before the next is read, so
// memory stays flat whatever the file's size. Gzip (.gz) is decompressed on the way.

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { StringDecoder } = require('node:string_decoder');
const { ingestBody } = require('./ingest.js');

/** Files an import reads from a directory (and their .gz), in name order. */
const EXTENSIONS = ['.ndjson', '.jsonl', '.json'];
/** A JSON-array file (the Management API's or an export's form) is parsed whole up to this size. */
const MAX_ARRAY_BYTES = 64 * 1024 * 1024;
// The core rejects any line over 64 KiB unread (line_too_long). A line is cut here at
// 8 MiB, so one absurd line cannot take the memory with it (cut or not, it is the same
// reject; its message then names this length rather than the line's own); 8 MiB leaves
// room for a line that is a whole stream body in Auth0's JSON-array format.
const MAX_LINE_CHARS = 8 * 1024 * 1024;
// The core keeps at most 10,000 logs of one body (logs::MAX_LOGS); a chunk stays under it.
const MAX_BATCH_LINES = 10_000;

/**
 * @typedef {{ files: number, lines: number, events: number, stored: number, duplicates: number, rejected: number }} ImportTotals
 *  lines: non-blank lines (or array elements) read; events: the valid logs among them
 *  (stored + duplicates); duplicates: logs the store already had or that repeated a
 *  log_id read earlier in the import; rejected: entries the core could not read.
 */

/**
 * @param {import('./store/index.js').Store} store
 * @param {string | string[]} paths files or directories
 * @param {{ batchLines?: number, onProgress?: (p: ImportTotals & { file: string }) => void, nowMs?: () => number,
 *   live?: { feed: (body: string) => void } | null }} [options] live: detection fed each committed body
 * @returns {Promise<ImportTotals>}
 */
async function importLogs(store, paths, { batchLines = 1000, onProgress, nowMs = Date.now, live = null } = {}) {
  if (!Number.isInteger(batchLines) || batchLines < 1 || batchLines > MAX_BATCH_LINES) {
    throw new TypeError(`importLogs: batchLines must be an integer from 1 to ${MAX_BATCH_LINES}`);
  }
  const files = [];
  for (const p of Array.isArray(paths) ? paths : [paths]) files.push(...(await filesOf(p)));
  /** @type {ImportTotals} */
  const totals = { files: 0, lines: 0, events: 0, stored: 0, duplicates: 0, rejected: 0 };
  for (const file of files) {
    // One body committing while the next is read and parsed: on PostgreSQL the two
    // overlap, as the insert waits on the network. A failed commit stops the import at
    // the next body (or at the end).
    /** @type {Promise<unknown>} */
    let inFlight = Promise.resolve();
    for await (const { body, entries } of bodiesOf(file, batchLines)) {
      const previous = inFlight;
      inFlight = Promise.all([
        previous,
        ingestBody(store, body, { source: 'import', nowMs: nowMs(), live }).then((r) => {
          totals.lines += entries ?? r.stored + r.duplicates + r.rejected;
          totals.events += r.stored + r.duplicates;
          totals.stored += r.stored;
          totals.duplicates += r.duplicates;
          totals.rejected += r.rejected;
          onProgress?.({ ...totals, file });
        }),
      ]);
      // Awaited below or at the end; until then a rejection is not "unhandled".
      inFlight.catch(() => {});
      await previous;
    }
    await inFlight;
    totals.files += 1;
  }
  return totals;
}

/**
 * The bodies a file is read as, by `logs import` and `logs analyze` alike, each with
 * the entries it holds (`null` when only the core can tell: then its events, rejects
 * and duplicates are). A file that is one JSON array (readArrayFile) gives bodies of
 * `batchLines` elements; JSON lines give bodies of `batchLines` non-blank lines, read
 * from a stream. A line holding a JSON array (a stream body saved as it arrived in
 * Auth0's "JSON array" format) goes alone, as its own body: the core then reads its
 * elements, as the receiver would have.
 * @param {string} file
 * @param {number} batchLines
 * @returns {AsyncGenerator<{ body: string, entries: number | null }>}
 */
async function* bodiesOf(file, batchLines) {
  const array = await readArrayFile(file);
  if (array) {
    for (let i = 0; i < array.length; i += batchLines) {
      const part = array.slice(i, i + batchLines);
      yield { body: `[${part.join(',')}]`, entries: part.length };
    }
    return;
  }
  /** @type {string[]} */
  let chunk = [];
  for await (const line of linesOf(file)) {
    if (line.trim() === '') continue;
    if (line.trimStart().startsWith('[')) {
      if (chunk.length > 0) yield { body: chunk.join('\n'), entries: chunk.length };
      chunk = [];
      yield { body: line, entries: null };
      continue;
    }
    chunk.push(line);
    if (chunk.length >= batchLines) {
      yield { body: chunk.join('\n'), entries: chunk.length };
      chunk = [];
    }
  }
  if (chunk.length > 0) yield { body: chunk.join('\n'), entries: chunk.length };
}

/**
 * The lines of a file (decompressed when it ends in .gz), read from a stream: the
 * file is never held whole, a line at most MAX_LINE_CHARS.
 * @param {string} file
 * @returns {AsyncGenerator<string>}
 */
async function* linesOf(file) {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false; // dropping the rest of a line past MAX_LINE_CHARS
  for await (const bytes of openFile(file)) {
    const text = decoder.write(bytes);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = overlong ? pending : pending + text.slice(start, Math.min(nl, start + MAX_LINE_CHARS - pending.length));
      pending = '';
      overlong = false;
      start = nl + 1;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (!overlong) {
      pending += text.slice(start, start + MAX_LINE_CHARS - pending.length);
      overlong = pending.length >= MAX_LINE_CHARS;
    }
  }
  pending += overlong ? '' : decoder.end();
  if (pending !== '') yield pending;
}

/**
 * @param {string} file
 * @param {number} [chunkBytes] bytes read at a time (decompressed ones may come in other sizes)
 * @returns {NodeJS.ReadableStream}
 */
function openFile(file, chunkBytes = 256 * 1024) {
  const raw = fs.createReadStream(file, { highWaterMark: chunkBytes });
  if (!file.endsWith('.gz')) return raw;
  const gunzip = zlib.createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/**
 * The elements of a file that is one JSON array (raw JSON text each), or null when it
 * is JSON lines. A file starting with `[` is parsed whole when it is at most
 * MAX_ARRAY_BYTES (decompressed) and taken for an array when it is one; a larger one
 * is read as lines when its first line is a whole JSON value (an array a line), and
 * refused, with what to do instead, when it is not.
 * @param {string} file
 * @returns {Promise<string[] | null>}
 */
async function readArrayFile(file) {
  if ((await firstNonBlank(file)) !== '[') return null;
  const text = await readAtMost(file, MAX_ARRAY_BYTES);
  if (text === null) {
    try {
      JSON.parse(await firstLine(file));
      return null;
    } catch {
      throw Object.assign(new Error(`${path.basename(file)}: a JSON array over ${MAX_ARRAY_BYTES / 1024 / 1024} MiB; convert it to JSON lines first (jq -c '.[]')`), {
        code: 'import_too_large',
      });
    }
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return null; // not one array: lines, each read (or rejected) on its own
  }
  return Array.isArray(value) ? value.map((v) => JSON.stringify(v) ?? 'null') : null;
}

/**
 * The first character that is not white space, reading no further than it.
 * @param {string} file
 * @returns {Promise<string>}
 */
async function firstNonBlank(file) {
  const decoder = new StringDecoder('utf8');
  for await (const bytes of openFile(file)) {
    const match = /\S/.exec(decoder.write(bytes));
    if (match) return match[0]; // leaving the loop closes the stream
  }
  return '';
}

/**
 * The whole text of a file, or null when it is longer than `limit` bytes.
 * @param {string} file
 * @param {number} limit
 * @returns {Promise<string | null>}
 */
async function readAtMost(file, limit) {
  let size = 0;
  /** @type {Buffer[]} */
  const parts = [];
  for await (const bytes of openFile(file)) {
    size += bytes.length;
    if (size > limit) return null;
    parts.push(/** @type {Buffer} */ (bytes));
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The first line of a file (up to MAX_LINE_CHARS), read without reading the rest.
 * @param {string} file
 */
async function firstLine(file) {
  const lines = linesOf(file);
  try {
    const { value, done } = await lines.next();
    return done ? '' : value;
  } finally {
    await lines.return(undefined);
  }
}

/**
 * A file, or a directory's *.ndjson, *.jsonl, *.json (and .gz of each) in name order.
 * @param {string} p
 * @returns {Promise<string[]>}
 */
async function filesOf(p) {
  const stat = await fs.promises.stat(p);
  if (!stat.isDirectory()) return [p];
  const names = (await fs.promises.readdir(p)).filter((n) => EXTENSIONS.some((ext) => n.endsWith(ext) || n.endsWith(`${ext}.gz`))).sort();
  /** @type {string[]} */
  const out = [];
  for (const n of names) {
    const full = path.join(p, n);
    if ((await fs.promises.stat(full)).isFile()) out.push(full);
  }
  return out;
}

module.exports = { importLogs, bodiesOf, linesOf, openFile, firstNonBlank, EXTENSIONS, MAX_ARRAY_BYTES, MAX_LINE_CHARS };
