const a = require('./a');
exports.seen = a.early + '/' + String(a.late);
