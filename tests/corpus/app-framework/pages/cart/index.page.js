var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'cart', n: 3 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/user/index?from=cart' }); },
  },
}));
