'use strict';
// The real server as a child process (`actionguard serve --port 0`), for tests and
// benchmarks that must kill it, restart it on the same database, or take its database
// away: an in-process server would die with the test or share its event loop.
//
//   const server = await startServer({ databaseUrl, env: { ACTIONGUARD_LOG_TOKEN } });
//   await fetch(`${server.url}healthz`);
//   server.kill('SIGKILL'); await server.exited;   // or: await server.stop();

const { spawn } = require('node:child_process');
const path = require('node:path');

const BIN = path.join(__dirname, '..', '..', 'bin', 'actionguard.js');
const LISTENING = /^actionguard: listening on (http:\/\/[^\s/]+:(\d+)\/)$/m;
/** Kept of the child's stderr for a failure message (it logs a line per request). */
const STDERR_KEEP = 64 * 1024;

/**
 * @typedef {object} RunningServer
 * @property {string} url e.g. `http://127.0.0.1:43817/` (trailing slash)
 * @property {number} port
 * @property {number} pid
 * @property {import('node:child_process').ChildProcess} child
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {() => boolean} alive the process has not exited
 * @property {() => string} stderr the last STDERR_KEEP characters it wrote to stderr
 * @property {(signal?: NodeJS.Signals) => void} kill
 * @property {(timeoutMs?: number) => Promise<{ code: number | null, signal: NodeJS.Signals | null }>} stop
 *   SIGTERM, then SIGKILL if it has not exited within timeoutMs
 */

/**
 * Starts `node bin/actionguard.js serve --port 0` and resolves once it printed its
 * listening line. The environment is this process's minus anything ActionGuard reads,
 * plus `env` and DATABASE_URL, so a developer's own settings never leak into a test.
 * @param {{ databaseUrl: string, env?: Record<string, string | undefined>, args?: string[], nodeArgs?: string[], timeoutMs?: number }} options
 * @returns {Promise<RunningServer>}
 */
function startServer({ databaseUrl, env = {}, args = [], nodeArgs = [], timeoutMs = 20_000 }) {
  /** @type {Record<string, string>} */
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(ACTIONGUARD_|AUDIT_WEBHOOK_|APPROVAL_WEBHOOK_|AUTH0_|DATABASE_URL$|PORT$)/.test(k)) childEnv[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  childEnv.DATABASE_URL = databaseUrl;

  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
  let exit = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  child.stderr.setEncoding('utf8');
  // Always drained: a full pipe would block the server on its next log line.
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  child.stdout.setEncoding('utf8');

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`actionguard serve did not start within ${timeoutMs} ms\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    const onExit = (/** @type {number | null} */ code, /** @type {string | null} */ signal) => {
      clearTimeout(timer);
      reject(new Error(`actionguard serve exited (${signal ?? code}) before listening\n${stderr.slice(-4000)}`));
    };
    child.once('exit', onExit);
    child.stdout.on('data', (chunk) => {
      if (stdout === null) return; // started: later output is drained and dropped
      stdout += chunk;
      const m = LISTENING.exec(stdout);
      if (!m) return;
      stdout = /** @type {any} */ (null);
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      const kill = (/** @type {NodeJS.Signals} */ signal = 'SIGKILL') => {
        if (exit === null) child.kill(signal);
      };
      resolve({
        url: m[1],
        port: Number(m[2]),
        pid: /** @type {number} */ (child.pid),
        child,
        exited,
        alive: () => exit === null,
        stderr: () => stderr.slice(-STDERR_KEEP),
        kill,
        async stop(ms = 5000) {
          if (exit !== null) return exit;
          kill('SIGTERM');
          const t = setTimeout(() => kill('SIGKILL'), ms);
          const result = await exited;
          clearTimeout(t);
          return result;
        },
      });
    });
  });
}

module.exports = { startServer, BIN };
