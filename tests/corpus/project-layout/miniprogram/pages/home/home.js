const lib = require('root-lib');
Page({ data: { lib }, shop() { my.navigateTo({ url: '/packageShop/pages/list/list' }); }, more() { my.navigateTo({ url: '/packageMore/about/about' }); } });
