// The General family of Ant Design Mini 3.4.3, with the props of its
// documentation's Alipay code samples.
Page({
  data: { stickyStatus: false },
  log() {},
  back() { my.navigateBack(); },
  handleStickyChange(status) { this.setData({ stickyStatus: status }); },
});
