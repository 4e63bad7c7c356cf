var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'home', n: 0 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/list/index?from=home' }); },
  },
}));
