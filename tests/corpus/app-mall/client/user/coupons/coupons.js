const api = require('../../utils/api');
Page({
  data: { state: 'loading' },
  onLoad() {
    api.coupons().then(() => this.setData({ state: 'ok' }), (e) => this.setData({ state: 'unavailable (' + e.error + ')' }));
    // A rejection nobody handles: a warning, as in Alipay.
    api.coupons();
  },
});
