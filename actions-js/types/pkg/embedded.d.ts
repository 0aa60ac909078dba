// pkg/embedded.js, which scripts/package-forms.js generates with no declarations
// of its own: pkg/actionguard.js's module, instantiated from the .wasm embedded
// in it. Found through tsconfig.json's rootDirs, as js/runtime.js requires it from
// beside itself in pkg/.
import actionguard = require('./actionguard.js');

export = actionguard;
