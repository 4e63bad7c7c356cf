var createPage = require('../../common');
var app = getApp();
export default Page(createPage({
  state: { title: 'about', n: 9 },
  onLoad: function () { this.setData({ chunks: app.chunks }); },
  methods: {
    next: function () { my.navigateTo({ url: '/pages/home/index?from=about' }); },
  },
}));
