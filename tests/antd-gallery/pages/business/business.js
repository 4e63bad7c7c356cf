// The Business family of Ant Design Mini 3.4.3, with the props and data of
// its documentation's Alipay code samples.
const contact = (userId, displayName, loginId) => ({
  userId,
  displayName,
  loginId,
  nodes: [],
  avatar: 'https://gw.alipayobjects.com/mdn/rms_226d75/afts/img/A*5m0ZQYhxhjEAAAAAAAAAAAAAARQnAQ',
});
Page({
  data: {
    countdownDay: +new Date() + 500000000,
    amount: '100',
    quickInputs: ['Happy birthday', 'Thanks'],
    recommended: [{ ...contact('u1', 'Alice Liu', '138******01'), recommendTypeDesc: 'Recent' }],
    contacts: [contact('u2', 'Bob Chen', '138******02'), contact('u3', 'Carol Zhang', '138******03')],
    terms: [{ name: '《用户协议》', key: 'user' }],
    buttons: [
      { text: '同意协议 + 行动点描述', type: 'primary' },
      { text: '取消', aide: true, type: 'default' },
    ],
    checkButtons: [{ text: '行动点描述', type: 'primary' }],
    dataSource: [
      {
        title: 'Voucher title',
        desc: 'subTitle',
        money: '50',
        threshold: '500 to use',
        actionAreaInfo: { disabled: false, text: 'to exchange' },
      },
    ],
  },
  log() {},
  back() { my.navigateBack(); },
  onAmount(amount) { this.setData({ amount }); },
});
