'use strict';
// `actionguard logs analyze <file>`: the file through the core's detection (LogAnalyzer),
// no store. A file of JSON lines (the usual case) crosses into the core as the bytes read
// off the disk, a megabyte at a time: the core cuts them into lines and bodies exactly as
// `bodiesOf` (import.js) would (LogAnalyzer.feedFile, logs::LineFile), without a
// JavaScript string ever made of a line, so a million events never sit in memory as
// strings and reading costs one copy into the module's memory. A file that is one JSON
// array (first character `[`) goes through `bodiesOf` as `logs import` reads it.

const { bodiesOf, firstNonBlank, openFile } = require('./import.js');

/** Lines of a body: the core's file reading uses the same (logs::LineFile BATCH_LINES). */
const ANALYZE_CHUNK_LINES = 5000;
/** Bytes read at a time: fewer, larger crossings into the core. */
const READ_BYTES = 1024 * 1024;

/**
 * The analysis of a file (`logs analyze`'s contract: the core's answer without its tag).
 * @param {string} file
 * @param {{ core?: any, config?: unknown, readBytes?: number }} [options] core: the `actionguard` package (a
 *   benchmark may pass another build); readBytes: bytes read at a time (a test cuts the file finer)
 * @returns {Promise<Omit<import('actionguard').Analysis, never>>}
 */
async function analyzeFile(file, { core = require('actionguard/control-plane'), config, readBytes = READ_BYTES } = {}) {
  const analyzer = new core.LogAnalyzer(config);
  try {
    const check = (/** @type {{ type: string, errors?: { message: string }[] }} */ fed) => {
      if (fed.type !== 'success') throw new Error(fed.errors?.[0]?.message ?? 'the core refused a body');
    };
    if ((await firstNonBlank(file)) === '[') {
      for await (const { body } of bodiesOf(file, ANALYZE_CHUNK_LINES)) check(analyzer.feed(body));
    } else {
      for await (const bytes of openFile(file, readBytes)) check(analyzer.feedFile(bytes));
    }
    const answer = analyzer.finish();
    if (answer.type !== 'success') throw new Error(answer.errors?.[0]?.message ?? 'no analysis');
    const { type, warnings, ...analysis } = answer;
    return analysis;
  } finally {
    analyzer.free();
  }
}

module.exports = { analyzeFile, ANALYZE_CHUNK_LINES };
