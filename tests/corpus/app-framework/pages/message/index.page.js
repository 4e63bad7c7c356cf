var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'message', n: 8 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/about/index?from=message' }); },
  },
}));
