import { price, plural } from '../../utils/format';
const app = getApp();
Page({
  data: { lines: [], summary: '' },
  onShow() { this.refresh(); },
  refresh() {
    const store = app.store;
    this.setData({
      lines: store.lines().map((l) => ({ ...l, text: l.name + ' x' + l.qty + ' ' + price(l.qty * l.price) })),
      summary: `${plural(store.count(), 'item')}, ${store.totalText()}`,
    });
  },
  checkout() { my.navigateTo({ url: '/order/confirm/confirm' }); },
});
