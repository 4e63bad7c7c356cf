// Frameworks register globals on my and wrap APIs.
my.webpackJsonp = [];
const original = my.getStorageSync;
let wrapped = 0;
my.getStorageSync = function (opts) { wrapped += 1; return original.call(my, opts); };
App({
  globalData: { wrappedCount: () => wrapped },
  onUnhandledRejection(e) { this.rejections = (this.rejections || 0) + 1; },
});
