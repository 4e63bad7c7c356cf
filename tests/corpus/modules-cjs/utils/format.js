'use strict';
// A util that calls getApp() at its top level: app.js ran first.
const app = typeof getApp === 'function' ? getApp() : null;
exports.format = function (s) { return '[' + s + ']'; };
exports.sawApp = app === undefined ? 'undefined' : typeof app;
exports.strict = (function () { return this === undefined; })();
