// Instances of plain components (no lifecycle, observer, pageEvents or
// data() function) are made by the view; their JS objects are made when
// something needs them. Nothing of that may show: each handler sees its
// instance as Alipay makes it, with the props of the latest render.
Page({
  data: { ids: [1, 2, 3], label: 'a', shown: true, log: '' },
  note(line) { this.setData({ log: this.data.log ? this.data.log + ',' + line : line }); },
  relabel() { this.setData({ label: 'b' }); },
  toggle() { this.setData({ shown: !this.data.shown }); }
});
