var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'user', n: 4 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/orders/index?from=user' }); },
  },
}));
