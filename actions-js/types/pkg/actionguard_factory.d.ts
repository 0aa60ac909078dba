// pkg/actionguard_factory.js, which scripts/package-forms.js generates with no
// declarations of its own: pkg/actionguard.js's module, instantiated from bytes
// the caller gives. Found through tsconfig.json's rootDirs, as js/runtime.js
// requires it from beside itself in pkg/.
import actionguard = require('./actionguard.js');

declare function instantiate(wasmBytes: Uint8Array): typeof actionguard;
export = instantiate;
