'use strict';
// `logs analyze` reads a file of JSON lines as its bytes (LogAnalyzer.feedFile: the
// core cuts lines and bodies itself). It must read every file exactly as it did through
// JavaScript strings (bodiesOf, as `logs import` reads files): the same bodies, so the
// same analysis, whatever the file holds and however its bytes are cut.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const core = require('actionguard/control-plane');
const { bodiesOf } = require('../lib/import.js');
const { analyzeFile, ANALYZE_CHUNK_LINES } = require('../lib/analyze.js');
const { logLine } = require('./helpers/log-stream.js');

const SAMPLE = path.resolve(__dirname, '../../examples/logs/sample.ndjson');

/** The analysis as `logs analyze` computed it before: bodiesOf's strings, fed one by one. */
async function throughStrings(/** @type {string} */ file) {
  const analyzer = new core.LogAnalyzer();
  for await (const { body } of bodiesOf(file, ANALYZE_CHUNK_LINES)) assert.equal(analyzer.feed(body).type, 'success');
  const { type, warnings, ...analysis } = analyzer.finish();
  analyzer.free();
  return analysis;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-analyze-file-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** @param {string} name @param {Buffer | string} bytes */
function write(name, bytes) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Lines no tidy generator writes, each a way the two readings could part. */
function awkward() {
  const log = (/** @type {string} */ id, /** @type {Record<string, unknown>} */ data) =>
    JSON.stringify({ log_id: id, data: { type: 'fp', date: '2026-11-02T09:14:07Z', ip: '203.0.113.77', ...data } });
  const pretty = JSON.stringify({ log_id: 'pretty', type: 's', date: '2026-11-02T09:14:07Z' }, null, 2);
  return Buffer.concat([
    Buffer.from('\ufeff'),
    Buffer.from(`${log('a1', { user_name: 'a@x.example' })}\r\n`),
    Buffer.from('   \t\r\n\n\ufeff\n\u0085\n'),
    Buffer.from(`  [${log('arr1', {})}, 7]\r\n`),
    Buffer.from(`\ufeff[${log('arr2', {})}]\n`),
    Buffer.from(`${log('raw-nul', { user_name: 'XX' })}\n`.replace('XX', '\u0000')),
    Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a, 0xe2, 0x82, 0x0a]),
    Buffer.from(`${log('lone', { user_name: 'x\\ud800y' }).replace('x\\\\ud800y', 'x\\ud800y')}\n`),
    Buffer.from(`${log('pair', { user_name: '\u{1f600}' })}\n`),
    Buffer.from(`${pretty}\n`),
    Buffer.from(`${log('long', { user_agent: 'u'.repeat(70_000) })}\n`),
    Buffer.from(`${log('a1', { user_name: 'again@x.example' })}\n`),
    Buffer.from(`not json\r\r\n${log('last', {})}\r`),
  ]);
}

test('a file of awkward lines is read from its bytes as it was through strings', async () => {
  const file = write('awkward.ndjson', awkward());
  const expected = await throughStrings(file);
  // Read: arr1 (its line alone, as an array), the lone surrogate's (U+FFFD), the pair's, the
  // second a1 (the first has a BOM before it, kept as a JavaScript string keeps it) and the
  // last line without its newline. Rejected: the BOM's a1, the array's 7, the BOM-led array
  // line, the raw NUL, the invalid UTF-8 (two lines), the five lines of the pretty-printed
  // object (lines of a body, each on its own), the 70 kB line, `not json`.
  assert.deepEqual([expected.events, expected.duplicates, expected.rejected], [5, 0, 13]);
  // However the bytes come: one read, or cut every few bytes (inside a line, a character, a CRLF).
  for (const readBytes of [1024 * 1024, 1, 7, 64]) assert.deepEqual(await analyzeFile(file, { readBytes }), expected, `read ${readBytes} bytes at a time`);
});

test('bodies of 5,000 lines: repeats across bodies, a pretty-printed object inside one, gzip', async () => {
  const lines = [];
  for (let i = 0; i < 12_000; i++) {
    lines.push(logLine('f', i % 11_000));
    if (i === 7_000) lines.push(...JSON.stringify({ log_id: 'pretty', type: 's', date: '2026-11-02T09:14:07Z' }, null, 1).split('\n'));
  }
  const text = `${lines.join('\n')}\n`;
  const plain = write('big.ndjson', text);
  const expected = await throughStrings(plain);
  assert.equal(expected.duplicates, 1_000);
  assert.deepEqual(await analyzeFile(plain, { readBytes: 100_003 }), expected);
  const gz = write('big.ndjson.gz', zlib.gzipSync(text));
  assert.deepEqual(await analyzeFile(gz), expected, 'decompressed on the way');
});

test('the sample, and a JSON-array file (read whole, as logs import reads it)', async () => {
  assert.deepEqual(await analyzeFile(SAMPLE), await throughStrings(SAMPLE));
  const objects = fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => {
      try {
        return typeof JSON.parse(l) === 'object';
      } catch {
        return false;
      }
    });
  const array = write('array.json', `\n [${objects.join(',\n')}]`);
  const analysis = await analyzeFile(array);
  assert.deepEqual(analysis, await throughStrings(array));
  assert.ok(analysis.events > 400, 'the array was read element by element');
});
