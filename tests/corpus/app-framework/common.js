// The vendors chunk: the framework's page factory.
require('./runtime');
(my.webpackJsonp = my.webpackJsonp || []).push([['common'], {
  createPage: function (module) {
    module.exports = function createPage(component) {
      var config = { data: Object.assign({ ready: false }, component.state || {}) };
      config.onLoad = function (query) {
        // Frameworks probe the platform this way.
        var platform = typeof window === 'undefined' && typeof my !== 'undefined' ? 'alipay' : 'web';
        this.setData({ platform: platform, query: JSON.stringify(query || {}) });
        if (component.onLoad) component.onLoad.call(this, query);
      };
      config.onReady = function () { this.setData({ ready: true }); };
      Object.keys(component.methods || {}).forEach(function (k) { config[k] = component.methods[k]; });
      return config;
    };
  },
}]);
module.exports = my.__frameworkRequire('common', 'createPage');
