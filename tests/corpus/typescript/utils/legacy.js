// A CommonJS file beside the TypeScript: it requires a compiled module by
// its name without extension, and gets Babel's interop.
const levels = require('./levels');
module.exports = function legacy() {
  return 'legacy:' + levels.Level.Silver + ':' + levels.__esModule;
};
