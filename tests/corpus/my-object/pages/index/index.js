const keys = Object.keys(my);
Page({
  data: {
    plain: String(Object.getPrototypeOf(my) === Object.prototype),
    own: String(my.hasOwnProperty('request') && Object.prototype.hasOwnProperty.call(my, 'navigateTo')),
    unknown: String(typeof my.noSuchApi) + ' ' + String('noSuchApi' in my),
    enumerable: String(keys.indexOf('request') >= 0 && keys.indexOf('canIUse') >= 0),
    kept: String(Array.isArray(my.webpackJsonp)),
    canIUse: [my.canIUse('request'), my.canIUse('request.success'), my.canIUse('noSuchApi'), my.canIUse('getStorageSync.key')].join(','),
    sdk: typeof my.SDKVersion + ' ' + /^\d+\.\d+\.\d+$/.test(my.SDKVersion),
    env: typeof my.env + ' ' + my.env.USER_DATA_PATH,
    noGlobals: [typeof window, typeof document, typeof self, typeof global, typeof XMLHttpRequest, typeof fetch].join(','),
  },
  onLoad() {
    my.getStorageSync({ key: 'k' });
    this.setData({ wrapped: getApp().globalData.wrappedCount() });
    // Rejections nobody handles are warnings, not uncaught errors.
    Promise.reject(new Error('nobody listens'));
  },
  callUnknown() {
    try { my.noSuchApi({}); } catch (e) { this.setData({ thrown: e.name + ': ' + e.message }); }
  },
});
