var store = require('../../utils/store');
var articles = require('../../data/articles.json');
Page({
  data: { titles: [] },
  onShow: function () { this.setData({ titles: store.favorites().filter(function (id) { return articles[id]; }).map(function (id) { return articles[id].title; }) }); },
});
