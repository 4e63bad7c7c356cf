import api from '../../utils/api';
import { price } from '../../utils/format';
const app = getApp();

Page({
  data: { products: [], loading: true, error: '' },
  async onLoad() {
    try {
      const res = await api.products();
      this.setData({ products: res.items.map((p) => ({ ...p, priceText: price(p.price) })), loading: false });
    } catch (e) {
      this.setData({ error: e.message, loading: false });
    }
  },
  onPullDownRefresh() { this.onLoad(); },
  open(e) { my.navigateTo({ url: '/pages/product/product?id=' + e.currentTarget.dataset.id }); },
  search() { my.navigateTo({ url: '../search/search' }); },
  toMine() { my.switchTab({ url: '/pages/mine/mine' }); },
});
