var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'coupon', n: 7 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/message/index?from=coupon' }); },
  },
}));
