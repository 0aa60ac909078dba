// @ts-check
'use strict';
// Loads an Action file the way Auth0's runtime (and its `@auth0/actions` test
// loader, which is not on the npm registry reachable here) does:
// - the source is wrapped as `module.exports = function(module, exports, console){...}`
//   and compiled with `vm.compileFunction` in this realm, with a `require` made by
//   `module.createRequire(filename)`;
// - the module body runs lazily on the first execution, with a console whose output
//   is attributed to the running execution; a module that throws at load throws the
//   same error on every later execution;
// - the handler must be a real `async function` (constructor name `AsyncFunction`),
//   else the execution fails with Auth0's own message.

const fs = require('node:fs/promises');
const vm = require('node:vm');
const nodeModule = require('node:module');
const { AsyncLocalStorage } = require('node:async_hooks');
const { Console } = require('node:console');
const diagnostics = require('node:diagnostics_channel');
const { Writable } = require('node:stream');

/**
 * @typedef {{ logs: string[], bytes: number, audit: string[] }} LogStore the log buffer of one
 *   execution, and the full audit records its audit trail kept (what AUDIT_WEBHOOK_URL would get)
 * @typedef {Error & { logs?: string, audit?: string[] }} ExecutionError what an execution rejects with:
 *   the handler's error, with the logs and audit records so far
 * @typedef {object} LoadedAction
 * @property {(args: unknown[], options?: { entrypoint?: string }) => Promise<{ logs: string, audit: string[] }>} execute
 *   runs one execution; resolves to `{ logs, audit }`, rejects with an ExecutionError
 */

/** @type {Record<Auth0Actions.Trigger, string[]>} */
const ENTRYPOINTS = {
  'post-login': ['onExecutePostLogin', 'onContinuePostLogin'],
  'pre-user-registration': ['onExecutePreUserRegistration'],
  'post-user-registration': ['onExecutePostUserRegistration'],
  'credentials-exchange': ['onExecuteCredentialsExchange'],
};

// Auth0 keeps at most 256 kB of logs per execution.
const LOG_LIMIT = 256 * 1024;

// The execution running now, whichever Action file it is: the runtime publishes every
// audit record in full on `actionguard:audit` (js/runtime.js), and the record belongs to
// the execution whose asynchronous context published it.
/** @type {AsyncLocalStorage<LogStore>} */
const current = new AsyncLocalStorage();
diagnostics.subscribe('actionguard:audit', (message) => {
  const record = /** @type {{ audit?: unknown }} */ (message)?.audit;
  if (typeof record === 'string') current.getStore()?.audit.push(record);
});

/**
 * @param {unknown} fn
 * @returns {fn is (...args: unknown[]) => Promise<unknown>}
 */
function isAction(fn) {
  return !!fn && typeof fn === 'function' && !!fn.constructor && fn.constructor.name === 'AsyncFunction';
}

/**
 * @param {unknown} obj
 * @returns {Error}
 */
function toError(obj) {
  if (!obj) return new Error('Unknown error');
  return obj instanceof Error ? obj : new Error(String(obj));
}

/**
 * A console whose output lands in the log buffer of the execution it runs in.
 * @param {AsyncLocalStorage<LogStore>} als
 * @returns {Console}
 */
function executionConsole(als) {
  // Strings stay strings (no Buffer round trip) and colour is never probed: the
  // replay benchmark spent about a tenth of an execution there.
  const sink = () =>
    new Writable({
      decodeStrings: false,
      write(chunk, _enc, cb) {
        const store = als.getStore();
        if (store && store.bytes < LOG_LIMIT) {
          const text = String(chunk).slice(0, LOG_LIMIT - store.bytes);
          store.bytes += Buffer.byteLength(text);
          store.logs.push(text);
        }
        cb();
      },
    });
  return new Console({ stdout: sink(), stderr: sink(), colorMode: false });
}

/**
 * @param {string} filename
 * @param {Auth0Actions.Trigger} trigger
 * @returns {Promise<LoadedAction>}
 */
async function loadAction(filename, trigger) {
  const entrypoints = ENTRYPOINTS[trigger];
  if (!entrypoints) throw new Error(`Unknown trigger ${JSON.stringify(trigger)}`);
  const code = await fs.readFile(filename, 'utf8');
  const requireFn = nodeModule.createRequire(filename);
  const wrapped = `module.exports = function(module, exports, console){\n${code}\n};`;
  /** @type {{ exports: unknown }} */
  const outer = { exports: {} };
  vm.compileFunction(wrapped, ['module', 'exports', 'require'], { filename })(outer, outer.exports, requireFn);
  const initializer = /** @type {(module: object, exports: object, console: Console) => void} */ (outer.exports);

  /** @type {AsyncLocalStorage<LogStore>} */
  const als = new AsyncLocalStorage();
  const console = executionConsole(als);
  // Whatever the Action's module body makes of it: checked at each execution.
  /** @type {{ exports: any }} */
  const mod = { exports: {} };
  let initialized = false;
  let modError;

  return {
    /** Runs one execution; resolves to `{ logs }`, rejects with what the handler threw. */
    async execute(args, { entrypoint = entrypoints[0] } = {}) {
      /** @type {LogStore} */
      const store = { logs: [], bytes: 0, audit: [] };
      try {
        await current.run(store, () =>
          als.run(store, async () => {
            if (!initialized) {
              initialized = true;
              try {
                initializer(mod, mod.exports, console);
              } catch (err) {
                modError = toError(err);
              }
            }
            if (modError) throw modError;
            if (typeof mod.exports !== 'object' || mod.exports === null) throw new Error('The Action must export an object.');
            if (!entrypoints.includes(entrypoint)) throw new Error('The Action can only be called with valid methods.');
            const fn = mod.exports[entrypoint];
            if (!isAction(fn)) {
              throw new Error(
                `Invalid function signature for the ${JSON.stringify(entrypoint)} handler. Use "exports.${entrypoint} = async function(event, api) { }" as the signature.`,
              );
            }
            return fn(...args);
          }),
        );
      } catch (err) {
        err.logs = store.logs.join('');
        err.audit = store.audit;
        throw err;
      }
      return { logs: store.logs.join(''), audit: store.audit };
    },
  };
}

module.exports = { loadAction, ENTRYPOINTS, isAction };
