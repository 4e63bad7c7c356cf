// Menu: my.request to the merchant API, with a built-in menu when it fails.
const app = getApp();

function decorate(menu) {
  return menu.map((item) => Object.assign({}, item, { priceText: app.formatPrice(item.price) }));
}

Page({
  data: {
    loading: true,
    offline: false,
    cartCount: 0,
    menu: []
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
  }
});
