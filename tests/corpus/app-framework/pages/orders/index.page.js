var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'orders', n: 5 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/address/index?from=orders' }); },
  },
}));
