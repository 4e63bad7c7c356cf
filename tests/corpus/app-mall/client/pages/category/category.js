const api = require('../../utils/api');
Page({
  data: { cats: {} },
  onLoad() {
    api.products().then((res) => {
      const cats = {};
      res.items.forEach((p) => { (cats[p.cat] = cats[p.cat] || []).push(p.name); });
      this.setData({ cats });
    });
  },
});
