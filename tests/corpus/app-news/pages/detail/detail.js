var articles = require('../../data/articles.json');
var store = require('../../utils/store');
Page({
  data: { a: {}, fav: false },
  onLoad: function (q) {
    var a = articles[q.id] || { title: 'Not found', body: '' };
    store.visit(q.id);
    this.setData({ a: a, fav: store.favorites().indexOf(q.id) >= 0 });
  },
  toggle: function () { if (this.data.a.id) this.setData({ fav: store.toggleFavorite(this.data.a.id) }); },
});
