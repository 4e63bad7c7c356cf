// Favorites and history in storage, as such programs keep them.
var KEY_FAV = 'fav', KEY_HIS = 'his';
function read(key) { var r = my.getStorageSync({ key: key }); return (r && r.data) || []; }
function write(key, v) { my.setStorageSync({ key: key, data: v }); }
exports.init = function () { if (!read(KEY_HIS).length) write(KEY_HIS, []); };
exports.favorites = function () { return read(KEY_FAV); };
exports.toggleFavorite = function (id) {
  var f = read(KEY_FAV); var i = f.indexOf(id);
  if (i >= 0) f.splice(i, 1); else f.push(id);
  write(KEY_FAV, f); return i < 0;
};
exports.history = function () { return read(KEY_HIS); };
exports.visit = function (id) { var h = read(KEY_HIS).filter(function (x) { return x !== id; }); h.unshift(id); write(KEY_HIS, h.slice(0, 20)); };
