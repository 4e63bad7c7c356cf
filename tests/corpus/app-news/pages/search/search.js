var articles = require('../../data/articles.json');
Page({
  data: { q: '', n: 0 },
  onInput: function (e) {
    var q = e.detail.value.toLowerCase();
    var n = Object.keys(articles).filter(function (k) { return articles[k].title.toLowerCase().indexOf(q) >= 0; }).length;
    this.setData({ q: q, n: n });
  },
});
