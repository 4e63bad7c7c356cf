Page({
  data: { log: '', show: true },
  log(s) { this.setData({ log: this.data.log ? this.data.log + ',' + s : s }); },
  go() { my.navigateTo({ url: '/pages/other/other' }); },
  hide() { this.setData({ show: false }); }
});
