// Item detail: query.id from onLoad, a quantity stepper using path keys in
// setData, and "Add to cart" persisted with my.setStorage.
const app = getApp();

const MIN_QTY = 1;
const MAX_QTY = 20;

Page({
  data: {
    item: null,
    subtotalText: '',
    inCart: 0,
    saving: false
  },

  onLoad(query) {
    let id = query && typeof query.id === 'string' ? query.id : '';
    try {
      id = decodeURIComponent(id);
    } catch (e) {
      id = ''; // malformed deep link
    }
    const found = app.findItem(id);
    if (!found) {
      my.navigateTo({
        url: '/pages/error/error?msg=' + encodeURIComponent('That item is not on the menu any more.')
      });
      return;
    }
    const item = Object.assign({}, found, { qty: 1, priceText: app.formatPrice(found.price) });
    this.setData({ item, subtotalText: item.priceText });
  },

  onShow() {
    if (!this.data.item) return;
    const line = app.globalData.cart.find((l) => l.id === this.data.item.id);
    this.setData({ inCart: line ? line.qty : 0 });
  },

  setQty(n) {
    const qty = Math.min(MAX_QTY, Math.max(MIN_QTY, n));
    // Path key: only item.qty changes, the rest of item stays as it is.
    this.setData({
      'item.qty': qty,
      subtotalText: app.formatPrice(this.data.item.price * qty)
    });
  },

  onMinus() {
    this.setQty(this.data.item.qty - 1);
  },

  onPlus() {
    this.setQty(this.data.item.qty + 1);
  },

  onAddToCart() {
    const item = this.data.item;
    if (!item || this.data.saving) return;
    const cart = app.globalData.cart.map((l) => Object.assign({}, l));
    const line = cart.find((l) => l.id === item.id);
    if (line) {
      line.qty = Math.min(MAX_QTY, line.qty + item.qty);
    } else {
      cart.push({ id: item.id, name: item.name, price: item.price, image: item.image, qty: item.qty });
    }
    this.setData({ saving: true });
    app.saveCart(cart, {
      success: () => {
        const now = cart.find((l) => l.id === item.id).qty;
        this.setData({ saving: false, inCart: now });
        my.showToast({ content: 'Added to cart', type: 'success', duration: 1500 });
      },
      fail: (err) => {
        this.setData({ saving: false });
        my.alert({
          title: 'Could not save cart',
          content: (err && err.errorMessage) || 'Storage is unavailable. Please try again.',
          buttonText: 'OK'
        });
      }
    });
  },

  onViewCart() {
    // The cart is a tabBar page, so Alipay requires switchTab rather than navigateTo.
    my.switchTab({ url: '/pages/cart/cart' });
  }
});
