module.exports = function shout(s) { return s.toUpperCase() + '!'; };
module.exports.extra = 1;
