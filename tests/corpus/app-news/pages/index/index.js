var util = require('../../utils/util.js');
var articles = require('../../data/articles.json');
var app = getApp();
Page({
  data: { list: [], started: '' },
  onLoad: function () {
    var list = Object.keys(articles).map(function (k) {
      var a = articles[k];
      return { id: a.id, title: a.title, excerpt: util.excerpt(a.body, 24) };
    });
    this.setData({ list: list, started: app.globalData.started });
  },
  open: function (e) { my.navigateTo({ url: '../detail/detail?id=' + e.currentTarget.dataset.id }); },
  onReachBottom: function () {},
  go: function (e) { my.navigateTo({ url: '/pages/' + e.currentTarget.dataset.page + '/' + e.currentTarget.dataset.page }); },
});
