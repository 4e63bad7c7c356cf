var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'address', n: 6 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/coupon/index?from=address' }); },
  },
}));
