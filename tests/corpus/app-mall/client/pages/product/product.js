import api from '../../utils/api';
import { price } from '../../utils/format';
const app = getApp();
Page({
  data: { p: null },
  async onLoad(query) {
    const p = await api.product(query.id);
    this.setData({ p: { ...p, priceText: price(p.price) } });
    my.setNavigationBar({ title: p.name });
  },
  add() {
    app.store.add(this.data.p, 1);
    my.showToast({ content: 'Added' });
    my.switchTab({ url: '/pages/cart/cart' });
  },
});
