// The cart, shared by every page through getApp().store.
import { yuan } from 'tiny-money';

export function createStore() {
  let lines = [];
  const listeners = [];
  function notify() { listeners.forEach((f) => f(lines)); my.setStorageSync({ key: 'cart', data: lines }); }
  return {
    add(product, qty = 1) {
      const found = lines.find((l) => l.id === product.id);
      if (found) found.qty += qty; else lines.push({ id: product.id, name: product.name, price: product.price, qty });
      notify();
    },
    clear() { lines = []; notify(); },
    restore(saved) { lines = saved.filter((l) => l && typeof l.id === 'string'); },
    lines: () => lines.slice(),
    count: () => lines.reduce((n, l) => n + l.qty, 0),
    total: () => lines.reduce((n, l) => n + l.qty * l.price, 0),
    totalText() { return yuan(this.total()); },
    subscribe(f) { listeners.push(f); },
  };
}
