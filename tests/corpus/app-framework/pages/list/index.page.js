var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'list', n: 1 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/detail/index?from=list' }); },
  },
}));
