import { createStore } from './store/index';
import config from './config';

App({
  store: createStore(),
  globalData: { api: config.api, launchedAt: 0 },
  onLaunch(options) {
    this.globalData.launchedAt = Date.now();
    const saved = my.getStorageSync({ key: 'cart' });
    if (saved && Array.isArray(saved.data)) this.store.restore(saved.data);
  },
  onUnhandledRejection(e) {
    console.warn('unhandled', e && e.reason && e.reason.message);
  },
});
