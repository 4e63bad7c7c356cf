Page({
  data: { sdk: '', hasRequest: false },
  onLoad() {
    // Feature tests as frameworks write them.
    this.setData({ sdk: typeof my.SDKVersion, hasRequest: Object.prototype.hasOwnProperty.call(my, 'request') && my.canIUse('request') });
  },
  coupons() { my.navigateTo({ url: '/user/coupons/coupons' }); },
  settings() { my.navigateTo({ url: '/user/settings/settings' }); },
  orders() { my.navigateTo({ url: '/order/list/list' }); },
  cats() { my.switchTab({ url: '/pages/category/category' }); },
});
