// @ts-check
'use strict';
// An Action file beside its own copy of the installed `actionguard` package, so a test
// or scenario can break or remove part of the package (the .wasm, the embedded copy)
// and run the real Action against it without touching the shared install.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ACTIONS_DIR = path.resolve(__dirname, '..');

/**
 * Copies the package and the trigger's Action file into a fresh directory, lets
 * `edit(packageDir)` change the copy, and returns the Action file's path. The Actions'
 * other dependency, `auth0`, is linked as installed.
 */
/**
 * @param {Auth0Actions.Trigger} trigger
 * @param {(packageDir: string) => void} [edit]
 * @returns {string}
 */
function actionWithPackage(trigger, edit = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-package-'));
  const pkg = path.join(dir, 'node_modules', 'actionguard');
  fs.cpSync(path.dirname(require.resolve('actionguard/package.json', { paths: [ACTIONS_DIR] })), pkg, { recursive: true, dereference: true });
  fs.symlinkSync(path.dirname(require.resolve('auth0/package.json', { paths: [ACTIONS_DIR] })), path.join(dir, 'node_modules', 'auth0'), 'dir');
  edit(pkg);
  const file = path.join(dir, `${trigger}.js`);
  fs.copyFileSync(path.join(ACTIONS_DIR, `${trigger}.js`), file);
  return file;
}

/**
 * For `edit`: a WebAssembly that does not compile, in the file and the embedded form.
 * @param {string} pkg
 */
function corruptWasm(pkg) {
  fs.writeFileSync(path.join(pkg, 'actionguard_bg.wasm'), Buffer.from('not wasm at all'));
  fs.writeFileSync(path.join(pkg, 'embedded.js'), "module.exports = require('./actionguard_factory.js')(Buffer.from('not wasm either'));\n");
}

module.exports = { actionWithPackage, corruptWasm };
