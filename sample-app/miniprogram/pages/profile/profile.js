// Profile: user info only after explicit consent (getAuthorize button, scope userInfo),
// and a way to review or revoke it with my.openSetting.
const app = getApp();

Page({
  data: {
    user: null,
    authSetting: null,
    cartCount: 0,
    balanceText: '',
    balanceNote: ''
  },

  onShow() {
    this.setData({ user: app.globalData.user, cartCount: app.cartCount() });
    this.loadBalance();
  },

  // my.getWalletBalance is the wallet's own API (not every wallet has it), gated
  // by the scope scope.walletBalance: the wallet asks the user once.
  loadBalance() {
    if (!my.canIUse('getWalletBalance')) {
      this.setData({ balanceText: '', balanceNote: 'This wallet does not share balances with mini programs.' });
      return;
    }
    my.getWalletBalance({
      success: (res) => {
        const cents = Number(res && res.balance);
        const currency = String((res && res.currency) || '').slice(0, 3);
        if (!Number.isInteger(cents) || cents < 0) {
          this.setData({ balanceText: '', balanceNote: 'The wallet sent a balance we could not read.' });
          return;
        }
        this.setData({ balanceText: app.formatPrice(cents) + ' ' + currency, balanceNote: '' });
      },
      fail: (err) => {
        const code = err && err.error;
        let note;
        if (code === 11) {
          note = 'You chose not to share your wallet balance with Coffee Club. You can allow it in Permission settings.';
        } else if (code === 4) {
          note = 'This wallet has not approved Coffee Club to see balances.';
        } else {
          note = 'Could not read your wallet balance: ' + ((err && err.errorMessage) || 'unknown error') + '.';
        }
        this.setData({ balanceText: '', balanceNote: note + ' (error ' + code + ')' });
      }
    });
  },

  // Fired by <button open-type="getAuthorize" scope="userInfo"> once the user agrees.
  onGetAuthorize() {
    my.getOpenUserInfo({
      success: (res) => {
        let info = null;
        try {
          info = JSON.parse(res.response).response;
        } catch (e) {
          info = null;
        }
        if (!info || info.code !== '10000') {
          my.showToast({ content: 'Could not read your profile', type: 'fail', duration: 2000 });
          return;
        }
        const user = {
          nickName: String(info.nickName || 'Coffee lover').slice(0, 32),
          avatar: typeof info.avatar === 'string' && info.avatar.indexOf('https://') === 0 ? info.avatar : ''
        };
        app.globalData.user = user;
        this.setData({ user });
      },
      fail: (err) => {
        my.alert({
          title: 'Profile unavailable',
          content: (err && err.errorMessage) || 'Please try again later.',
          buttonText: 'OK'
        });
      }
    });
  },

  // The user declined, or the host refused the scope.
  onAuthError() {
    my.showToast({ content: 'No problem, you can still order as a guest', type: 'none', duration: 2000 });
  },

  onOpenSetting() {
    my.openSetting({
      success: (res) => {
        const authSetting = res.authSetting || {};
        this.setData({ authSetting: JSON.stringify(authSetting) });
        this.loadBalance();
        if (authSetting.userInfo === false) {
          // Consent was withdrawn: forget what we had.
          app.globalData.user = null;
          this.setData({ user: null });
        }
      }
    });
  }
});
