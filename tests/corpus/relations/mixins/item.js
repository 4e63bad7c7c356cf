// The mixin that marks list items, shared by require (one registry).
module.exports = Mixin({});
