var store = require('../../utils/store');
Page({ data: { n: 0 }, onShow: function () { this.setData({ n: store.history().length }); } });
