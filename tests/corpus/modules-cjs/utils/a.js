// A cycle, as in Node: b sees a's exports as they are when b runs.
exports.early = 'a-early';
const b = require('./b');
exports.late = 'a-late';
exports.fromB = b.seen;
