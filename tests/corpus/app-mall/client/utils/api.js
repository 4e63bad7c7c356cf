// Promise wrappers around my.request, as most programs write them.
const app = getApp();
function request(path, opts = {}) {
  return new Promise((resolve, reject) => {
    my.request({
      url: app.globalData.api + path,
      method: opts.method || 'GET',
      data: opts.data,
      success: (res) => resolve(res.data),
      fail: (err) => reject(Object.assign(new Error('request failed: ' + err.error), err)),
    });
  });
}
module.exports = {
  products: () => request('/products'),
  product: (id) => request('/products/' + id),
  order: (lines) => request('/orders', { method: 'POST', data: { lines } }),
  coupons: () => request('/coupons'),
};
