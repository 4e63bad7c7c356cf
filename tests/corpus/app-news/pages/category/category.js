var articles = require('../../data/articles.json');
Page({
  data: { cats: {} },
  onLoad: function () {
    var cats = {};
    Object.keys(articles).forEach(function (k) { var c = articles[k].cat; cats[c] = (cats[c] || 0) + 1; });
    this.setData({ cats: cats });
  },
});
