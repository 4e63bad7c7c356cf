Page({ data: { v: '' }, onLoad() { this.setData({ v: my.SDKVersion }); } });
