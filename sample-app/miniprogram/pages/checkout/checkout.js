// Checkout: getAuthCode -> POST /orders (merchant backend creates the trade)
// -> tradePay -> toast, or alert on failure.
//
// The resultCode tradePay returns to JS is only a hint for the UI. It is NOT
// authoritative: the merchant backend confirms payment from Alipay's
// asynchronous notification (or by querying the trade) and only then marks the
// order paid. Nothing here should ever treat "9000" as proof of payment.
const app = getApp();

// Alipay tradePay result codes, for display only.
const RESULT_TEXT = {
  '9000': 'Payment submitted',
  '8000': 'Payment is processing',
  '4000': 'Payment failed',
  '5000': 'Duplicate request',
  '6001': 'Payment cancelled',
  '6002': 'Network error',
  '6004': 'Payment result unknown'
};

Page({
  data: {
    lines: [],
    totalText: '$0.00',
    step: 'review', // review | authorizing | ordering | paying | submitted | failed
    orderId: '',
    resultText: '',
    orderStatus: ''
  },

  onLoad() {
    const cart = app.globalData.cart;
    if (cart.length === 0) {
      my.navigateTo({ url: '/pages/error/error?msg=' + encodeURIComponent('Your cart is empty.') });
      return;
    }
    this.setData({
      lines: cart.map((l) => Object.assign({}, l, { lineText: app.formatPrice(l.price * l.qty) })),
      totalText: app.formatPrice(app.cartTotal())
    });
  },

  onPay() {
    if (this.data.step !== 'review' && this.data.step !== 'failed') return;
    this.setData({ step: 'authorizing', resultText: '' });
    // auth_base is silent: no consent sheet, the code only identifies the user to our backend.
    my.getAuthCode({
      scopes: 'auth_base',
      success: (res) => this.createOrder(res.authCode),
      fail: (err) => this.fail('Could not identify your account', err)
    });
  },

  createOrder(authCode) {
    this.setData({ step: 'ordering' });
    my.request({
      url: app.globalData.apiBase + '/orders',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Only ids and quantities: the backend prices the order itself.
      data: JSON.stringify({
        authCode,
        items: app.globalData.cart.map((l) => ({ id: l.id, qty: l.qty }))
      }),
      dataType: 'json',
      timeout: 10000,
      success: (res) => {
        const body = res.data || {};
        if (res.status !== 200 || typeof body.tradeNO !== 'string' || !body.tradeNO) {
          this.fail('The shop could not create your order', { errorMessage: body.message || 'HTTP ' + res.status });
          return;
        }
        this.setData({ orderId: String(body.orderId || '') });
        this.pay(body.tradeNO);
      },
      // An HTTP error status (error 19) means the shop answered and refused.
      fail: (err) =>
        this.fail(err && err.error === 19 ? 'The shop could not create your order' : 'Could not reach the shop', err)
    });
  },

  pay(tradeNO) {
    this.setData({ step: 'paying' });
    my.tradePay({
      tradeNO,
      success: (res) => {
        const code = String(res.resultCode);
        const text = RESULT_TEXT[code] || 'Payment result: ' + code;
        if (code === '9000' || code === '8000') {
          // Shown to the user, but the order is only paid once our backend says so.
          app.saveCart([], {});
          this.setData({ step: 'submitted', resultText: text, orderStatus: 'Waiting for confirmation' });
          my.showToast({ content: text, type: 'success', duration: 2000 });
          this.checkStatus();
        } else if (code === '6001') {
          this.setData({ step: 'review', resultText: text });
          my.showToast({ content: text, type: 'none', duration: 2000 });
        } else {
          this.fail(text, { errorMessage: 'resultCode ' + code });
        }
      },
      fail: (err) => this.fail('Payment could not start', err)
    });
  },

  // Asks the merchant backend, which is the only authority on whether the order is paid.
  checkStatus() {
    const orderId = this.data.orderId;
    if (!orderId) return;
    my.request({
      url: app.globalData.apiBase + '/orders/' + encodeURIComponent(orderId),
      method: 'GET',
      dataType: 'json',
      success: (res) => {
        const status = res.status === 200 && res.data ? String(res.data.status || '') : '';
        const labels = { PAID: 'Paid - your coffee is being made', PENDING: 'Waiting for confirmation', CLOSED: 'Order closed' };
        this.setData({ orderStatus: labels[status] || 'Waiting for confirmation' });
      },
      fail: () => this.setData({ orderStatus: 'Could not check status, try again' })
    });
  },

  onCheckStatus() {
    this.checkStatus();
  },

  fail(title, err) {
    const detail = (err && (err.errorMessage || err.error)) || 'Please try again.';
    this.setData({ step: 'failed', resultText: title });
    my.alert({ title, content: String(detail), buttonText: 'OK' });
  },

  onDone() {
    my.reLaunch({ url: '/pages/index/index' });
  }
});
