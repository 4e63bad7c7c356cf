// The Other and To Discard families of Ant Design Mini 3.4.3, with the
// props of their documentation.
Page({
  data: {
    themeVars: { 'button-primary-background-color': '#ff5000' },
    modalVisible: true,
  },
  log() {},
  back() { my.navigateBack(); },
  closeModal() { this.setData({ modalVisible: false }); },
});
