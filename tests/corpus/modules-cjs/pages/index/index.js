const app = getApp();
const appExports = require('../../app');
const { format, sawApp, strict } = require('../../utils/format');
const a = require('../../utils/a');
const shout = require('../../utils/replaced');
const env = require('/config/env.json');
const env2 = require('../../config/env');
const self = require('../../utils/this');
let flaky;
try { require('../../utils/flaky'); } catch (e) { flaky = 'threw: ' + e.message; }
flaky += ' / ' + require('../../utils/flaky');
let missing;
try { require('./nope'); } catch (e) { missing = e.code + ': ' + e.message; }
let notString;
try { require(42); } catch (e) { notString = e.name; }
Page({
  data: {
    env: app.globalData.env,
    greeting: app.globalData.greeting,
    appFile: String(appExports.appFile),
    util: format('x') + ' ' + sawApp + ' ' + strict,
    cycle: a.fromB + ' ' + a.late,
    shout: shout('hey') + shout.extra,
    json: String(env === env2) + ' ' + env.retries,
    self: String(self.same) + ' ' + self.file,
    flaky: flaky,
    missing: missing,
    notString: notString,
  },
  go() { my.navigateTo({ url: '/pages/other/other' }); },
});
