// Ported from WeChat: CommonJS only, utils required by a bare path.
var util = require('utils/util');
var store = require('./utils/store.js');
App({
  globalData: { started: util.today() },
  onLaunch: function () {
    store.init();
  },
});
