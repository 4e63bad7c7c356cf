// A webpack-style runtime, as Taro and uni-app emit for Alipay: chunks are
// registered on my, which must be a plain, writable object.
(function () {
  var installed = {};
  var jsonp = my.webpackJsonp = my.webpackJsonp || [];
  var push = jsonp.push.bind(jsonp);
  jsonp.push = function (chunk) {
    var ids = chunk[0], modules = chunk[1];
    ids.forEach(function (id) { installed[id] = modules; });
    return push(chunk);
  };
  my.__frameworkRequire = function (chunk, name) {
    var mods = installed[chunk];
    if (!mods || !mods[name]) throw new Error('chunk ' + chunk + ' has no ' + name);
    var module = { exports: {} };
    mods[name](module, module.exports);
    return module.exports;
  };
})();
