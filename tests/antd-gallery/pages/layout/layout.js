// The Layout family of Ant Design Mini 3.4.3, with the props and data of its
// documentation's Alipay code samples.
const icon = 'https://gw.alipayobjects.com/mdn/rms_3a7189/afts/img/A*L8FjQ7lSdq4AAAAAAAAAAAAAARQnAQ';
Page({
  data: {
    items: [
      { title: 'title text', icon, description: 'description' },
      { title: 'Grid two', icon, description: 'description' },
      { title: 'Grid three', icon, description: 'description' },
    ],
  },
  log() {},
  back() { my.navigateBack(); },
});
