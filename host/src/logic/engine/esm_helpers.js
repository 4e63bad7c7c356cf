// Babel's interop for the ES modules the unit rewrote to CommonJS: defined
// once per app, when its first ES module loads (most programs have none, and
// every line here is work for every launch that needs it).
(function (global) {
  'use strict';
  function hidden(name, value) {
    Object.defineProperty(global, name, { value: value, writable: false, enumerable: false, configurable: false });
  }
  // Babel's interop, for the rewritten ES modules.
  hidden('__mp_default', function (m) { return (m && m.__esModule) ? m['default'] : m; });
  hidden('__mp_wildcard', function (m) {
    if (m && m.__esModule) return m;
    var ns = {};
    if (m !== null && (typeof m === 'object' || typeof m === 'function')) {
      for (var k in m) if (k !== 'default' && Object.prototype.hasOwnProperty.call(m, k)) ns[k] = m[k];
    }
    ns['default'] = m;
    return ns;
  });
  hidden('__mp_export', function (exports, name, get) {
    Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: get });
  });
  hidden('__mp_exportStar', function (exports, m) {
    if (m === null || m === undefined) return;
    Object.keys(m).forEach(function (k) {
      if (k === 'default' || k === '__esModule') return;
      if (Object.prototype.hasOwnProperty.call(exports, k)) return;
      Object.defineProperty(exports, k, { enumerable: true, configurable: true, get: function () { return m[k]; } });
    });
  });
  // Named imports are read when the module's imports run; a binding still
  // in its temporal dead zone (a cycle) reads as undefined.
  hidden('__mp_read', function (m, k) {
    try { return m === null || m === undefined ? undefined : m[k]; }
    catch (e) { if (e instanceof ReferenceError) return undefined; throw e; }
  });
})(this);
