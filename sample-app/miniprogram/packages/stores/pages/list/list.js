// Every store: a page of the "stores" subpackage, which requires a module of
// the main package by its rooted path, as Alipay allows.
const { STORES } = require('/utils/stores');

Page({
  data: {
    stores: [],
    picked: ''
  },

  onLoad() {
    this.setData({
      stores: STORES.map((s) => ({ id: s.id, name: s.name, address: s.address }))
    });
  },

  onPick(e) {
    const id = e.currentTarget.dataset.id;
    const store = STORES.find((s) => s.id === id);
    if (store) {
      this.setData({ picked: store.name });
    }
  }
});
