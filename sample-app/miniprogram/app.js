// Coffee Club - app entry.
//
// Shared state lives in globalData; the cart is persisted under the storage
// key "cart" as an array of { id, name, price, image, qty } (price in cents).

const API_BASE = 'https://api.coffeeclub.example';

// A wallet may point the app at a merchant backend on this device for
// development, with the launch query `apiBase`. Only exactly
// http://127.0.0.1:<port> is taken (the wallet must also allow that origin);
// anything else keeps the production URL.
const DEV_API_BASE = /^http:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})$/;

function devApiBase(query) {
  const raw = query && query.apiBase;
  if (typeof raw !== 'string') return null;
  const m = DEV_API_BASE.exec(raw);
  if (!m || Number(m[1]) > 65535) return null;
  return raw;
}

import { FALLBACK_MENU, cleanItem, formatPrice } from './utils/menu';

App({
  globalData: {
    apiBase: API_BASE,
    menu: FALLBACK_MENU,
    menuSource: 'builtin', // 'builtin' | 'server'
    cart: [],
    user: null // filled by the profile page after the user consents
  },

  onLaunch(options) {
    const query = (options && options.query) || {};
    const dev = devApiBase(query);
    if (dev) {
      this.globalData.apiBase = dev;
    } else if (query.apiBase !== undefined) {
      console.warn('ignoring launch query apiBase: not http://127.0.0.1:<port>');
    }
    // getStorageSync returns { data }; data is undefined when the key is missing.
    const res = my.getStorageSync({ key: 'cart' });
    this.globalData.cart = this.cleanCart(res && res.data);
    console.info('Coffee Club launched', options && options.query, 'cart lines:', this.globalData.cart.length);
  },

  onError(msg) {
    console.error('Coffee Club error:', msg);
  },

  // ---- helpers shared by pages (reached through getApp()) ----

  fallbackMenu() {
    return FALLBACK_MENU.slice();
  },

  cleanMenu(list) {
    if (!Array.isArray(list)) return [];
    const seen = {};
    const out = [];
    for (let i = 0; i < list.length && out.length < 50; i++) {
      const item = cleanItem(list[i]);
      if (item && !seen[item.id]) {
        seen[item.id] = true;
        out.push(item);
      }
    }
    return out;
  },

  cleanCart(list) {
    if (!Array.isArray(list)) return [];
    const out = [];
    for (let i = 0; i < list.length; i++) {
      const item = cleanItem(list[i]);
      const qty = Number(list[i] && list[i].qty);
      if (item && Number.isInteger(qty) && qty > 0 && qty <= 20) {
        item.qty = qty;
        out.push(item);
      }
    }
    return out;
  },

  findItem(id) {
    const menu = this.globalData.menu || [];
    for (let i = 0; i < menu.length; i++) {
      if (menu[i].id === id) return menu[i];
    }
    return null;
  },

  cartCount() {
    return this.globalData.cart.reduce((n, line) => n + line.qty, 0);
  },

  cartTotal() {
    return this.globalData.cart.reduce((sum, line) => sum + line.price * line.qty, 0);
  },

  // Persists the cart; callers get success/fail like any my.* API.
  saveCart(cart, callbacks) {
    const cbs = callbacks || {};
    this.globalData.cart = cart;
    my.setStorage({
      key: 'cart',
      data: cart,
      success: () => cbs.success && cbs.success(),
      fail: (err) => cbs.fail && cbs.fail(err)
    });
  },

  formatPrice
});
