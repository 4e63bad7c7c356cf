// Menu: my.request to the merchant API, with a built-in menu when it fails.
const app = getApp();

const { nearestStore } = require('../../utils/stores');

function decorate(menu) {
  return menu.map((item) => Object.assign({}, item, { priceText: app.formatPrice(item.price) }));
}

Page({
  data: {
    loading: true,
    offline: false,
    cartCount: 0,
    menu: [],
    locating: false,
    store: null,
    storeError: ''
  },

  onLoad() {
    this.fetchMenu();
  },

  onShow() {
    this.setData({ cartCount: app.cartCount() });
  },

  fetchMenu() {
    this.setData({ loading: true });
    my.request({
      url: app.globalData.apiBase + '/menu',
      method: 'GET',
      dataType: 'json',
      timeout: 8000,
      success: (res) => {
        const menu = res.status === 200 ? app.cleanMenu(res.data && res.data.items) : [];
        if (menu.length === 0) {
          this.useFallback('empty or malformed menu (status ' + res.status + ')');
          return;
        }
        app.globalData.menu = menu;
        app.globalData.menuSource = 'server';
        this.setData({ loading: false, offline: false, menu: decorate(menu) });
      },
      fail: (err) => {
        this.useFallback(err && (err.errorMessage || err.error));
      }
    });
  },

  useFallback(reason) {
    console.warn('menu request failed, using built-in menu:', reason);
    const menu = app.fallbackMenu();
    app.globalData.menu = menu;
    app.globalData.menuSource = 'builtin';
    this.setData({ loading: false, offline: true, menu: decorate(menu) });
  },

  onItemTap(e) {
    const id = e.currentTarget.dataset.id;
    my.navigateTo({ url: '/pages/item/item?id=' + encodeURIComponent(id) });
  },

  onRetry() {
    this.fetchMenu();
  },

  onAccount() {
    my.switchTab({ url: '/pages/profile/profile' });
  },

  // Every store, in the "stores" subpackage.
  onAllStores() {
    my.navigateTo({ url: '/packages/stores/pages/list/list' });
  },

  // "Find a store near me": needs scope.location; a refusal shows the host's reason.
  onFindStore() {
    if (this.data.locating) return;
    this.setData({ locating: true, storeError: '' });
    my.getLocation({
      success: (res) => {
        const lat = Number(res && res.latitude);
        const lon = Number(res && res.longitude);
        if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
          this.setData({ locating: false, store: null, storeError: 'Your location could not be read.' });
          return;
        }
        const best = nearestStore(lat, lon);
        const km = Math.round(best.distance * 10) / 10;
        this.setData({
          locating: false,
          storeError: '',
          store: { name: best.store.name, address: best.store.address, distanceText: km + ' km' }
        });
      },
      fail: (err) => {
        const code = err && err.error;
        const reason = (err && err.errorMessage) || 'unknown error';
        const hint = code === 11 ? ' You can allow location in Permission settings on the Me tab.' : '';
        this.setData({
          locating: false,
          store: null,
          storeError: 'Could not find a store near you: ' + reason + ' (error ' + code + ').' + hint
        });
      }
    });
  }
});
