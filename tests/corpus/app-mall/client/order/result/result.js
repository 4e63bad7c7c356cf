Page({ data: { id: '' }, onLoad(q) { this.setData({ id: q.id }); }, home() { my.reLaunch({ url: '/pages/home/home' }); } });
