const api = require('../../utils/api');
const app = getApp();
Page({
  data: { total: '', placing: false },
  onLoad() { this.setData({ total: app.store.totalText() }); },
  async place() {
    this.setData({ placing: true });
    const res = await api.order(app.store.lines());
    app.store.clear();
    my.redirectTo({ url: '../result/result?id=' + res.orderId });
  },
});
