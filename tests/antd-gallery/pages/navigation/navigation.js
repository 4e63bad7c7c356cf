// The Navigation family of Ant Design Mini 3.4.3, with the props and data of
// its documentation's Alipay code samples.
Page({
  data: {
    links: [
      { key: 'alicloud', text: '阿里云' },
      { key: 'alipay', text: '支付宝' },
    ],
    chips: [
      { key: 'jiebei', text: '蚂蚁借呗' },
      { key: 'beiyongjin', text: '备用金' },
      { key: 'huabei', text: '花呗收钱', disabled: true },
    ],
    tourVisible: true,
    tour: [
      { left: 20, top: 80, imageUrl: 'https://gw.alipayobjects.com/zos/antfincdn/IV3MGP1qL/bianzu%25252013.png', imageMode: 'widthFix' },
      { left: 20, top: 160, imageUrl: 'https://gw.alipayobjects.com/zos/antfincdn/%26B6d3lBJn/bianzu%25252020.png' },
      { left: 20, top: 220, imageUrl: 'https://gw.alipayobjects.com/zos/antfincdn/lwVOkCcwb/bianzu%25252021.png' },
    ],
    popoverVisible: true,
    list: [
      { text: '扫一扫', icon: 'ScanningOutline', showBadge: true, id: 'scan' },
      { text: '付钱/收钱', icon: 'ReceivePaymentOutline', showBadge: false, id: 'pay' },
      { text: '乘车码', icon: 'TransportQRcodeOutline', showBadge: false, id: 'code' },
      { text: '图片', iconImage: 'https://gw.alipayobjects.com/mdn/rms_ce4c6f/afts/img/A*XMCgSYx3f50AAAAAAAAAAABkARQnAQ', showBadge: false, id: 'image' },
    ],
    steps: [
      { title: 'Step1', description: 'description' },
      { title: 'Step2', description: 'description' },
      { title: 'Step3', description: 'description' },
    ],
    tabs: [
      { icon: 'AlipayCircleFill', activeIcon: 'AlipayCircleFill', text: 'homr' },
      { icon: 'StarOutline', activeIcon: 'StarFill', text: 'favor' },
      { icon: 'HeartOutline', activeIcon: 'HeartFill', text: 'like' },
    ],
    current: 0,
    tabItems: [
      { title: 'fruits', subTitle: 'desc', content: 'watermelon' },
      { title: 'vegetables', subTitle: 'desc', badge: true, content: 'tomato' },
      { title: 'animals', subTitle: 'desc', content: 'monkey' },
    ],
  },
  log() {},
  back() { my.navigateBack(); },
  closeTour() { this.setData({ tourVisible: false }); },
  handleVisibleChange(popoverVisible) { this.setData({ popoverVisible }); },
  handleTapItem() { this.setData({ popoverVisible: false }); },
  handleChange(current) { this.setData({ current }); },
});
