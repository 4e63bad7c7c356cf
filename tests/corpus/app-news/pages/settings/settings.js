Page({
  data: { vibrate: '' },
  onLoad: function () {
    // An API a host may lack: checked first, as the docs advise.
    this.setData({ vibrate: my.canIUse('vibrate') ? 'yes' : 'no' });
  },
});
