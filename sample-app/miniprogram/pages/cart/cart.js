// Cart: read from storage on every show (it is a tab page), edit lines, go to checkout.
const app = getApp();

Page({
  data: {
    lines: [],
    count: 0,
    totalText: '$0.00'
  },

  onShow() {
    // Storage is the source of truth; another page may have changed it.
    const res = my.getStorageSync({ key: 'cart' });
    app.globalData.cart = app.cleanCart(res && res.data);
    this.render();
  },

  render() {
    const lines = app.globalData.cart.map((l) =>
      Object.assign({}, l, { lineText: app.formatPrice(l.price * l.qty) })
    );
    this.setData({
      lines,
      count: app.cartCount(),
      totalText: app.formatPrice(app.cartTotal())
    });
  },

  update(id, delta) {
    const cart = app.globalData.cart
      .map((l) => (l.id === id ? Object.assign({}, l, { qty: l.qty + delta }) : l))
      .filter((l) => l.qty > 0 && l.qty <= 20);
    app.saveCart(cart, {
      fail: () => my.showToast({ content: 'Could not update cart', type: 'fail', duration: 2000 })
    });
    this.render();
  },

  onMinus(e) {
    this.update(e.currentTarget.dataset.id, -1);
  },

  onPlus(e) {
    this.update(e.currentTarget.dataset.id, 1);
  },

  onClear() {
    app.saveCart([], {});
    this.render();
  },

  onCheckout() {
    if (this.data.count === 0) return;
    my.navigateTo({ url: '/pages/checkout/checkout' });
  },

  onBrowse() {
    my.switchTab({ url: '/pages/index/index' });
  }
});
