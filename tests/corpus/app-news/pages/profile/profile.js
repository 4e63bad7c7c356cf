Page({
  data: { info: '' },
  onLoad: function () {
    var s = my.getSystemInfoSync();
    this.setData({ info: typeof s.windowWidth });
  },
});
