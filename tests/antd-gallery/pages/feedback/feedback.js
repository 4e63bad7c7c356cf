// The Feedback family of Ant Design Mini 3.4.3, with the props and data of
// its documentation's Alipay code samples: its overlays open.
Page({
  data: {
    sheetVisible: true,
    actions: [
      { text: 'copy', key: 'copy', description: 'select copy content' },
      { text: 'modify', key: 'modify', disabled: true },
      { text: 'delete', key: 'delete', danger: true },
      { text: 'backup', key: 'backup', icon: 'https://gw.alipayobjects.com/mdn/rms_e7937b/afts/img/A*I0oNS4RCQzUAAAAAAAAAAAAAARQnAQ' },
    ],
    dialogVisible: true,
    horizontalFooter: {
      buttons: [
        { text: '取消', type: 'default' },
        { text: '确定', type: 'primary' },
      ],
      layout: 'horizontal',
    },
    feedbackVisible: true,
    feedList: [
      { icon: 'HeartOutline', text: '喜欢推荐内容', id: '1' },
      { icon: 'FrownOutline', text: '我不感兴趣', id: '2' },
      { image: 'https://gw.alipayobjects.com/mdn/rms_ce4c6f/afts/img/A*XMCgSYx3f50AAAAAAAAAAABkARQnAQ', text: '看过类似内容', id: '3' },
    ],
    popupVisible: true,
    toastShow: true,
  },
  log() {},
  back() { my.navigateBack(); },
  closeSheet() { this.setData({ sheetVisible: false }); },
  closeDialog() { this.setData({ dialogVisible: false }); },
  onFeedbackVisible(feedbackVisible) { this.setData({ feedbackVisible }); },
  closePopup() { this.setData({ popupVisible: false }); },
  closeToast() { this.setData({ toastShow: false }); },
});
