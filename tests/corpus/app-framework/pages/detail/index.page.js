var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'detail', n: 2 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/cart/index?from=detail' }); },
  },
}));
