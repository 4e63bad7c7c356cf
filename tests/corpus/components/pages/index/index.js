Page({
  data: { n: 1, list: ['a', 'b'], badge: 'new', log: '', total: 0, titles: 0 },
  onLoad() { this.events = ['page.onLoad']; this.counters = []; },
  onReady() {
    this.events.push('page.onReady');
    this.setData({ log: this.events.join(','), can: this.features() });
  },
  note(e) { this.events.push(e); },
  saveCounter(c) { this.counters.push(c.props.label); },
  changed(label, value) {
    this.setData({ total: this.data.total + value });
    return 'seen ' + label;
  },
  titleTapped() { this.setData({ titles: this.data.titles + 1 }); },
  remove() { this.setData({ list: ['b'] }); },
  splice() { this.$spliceData({ list: [1, 0, 'c'] }); },
  features() {
    return ['component2', 'page.$spliceData', 'component.observers'].map((f) => my.canIUse(f)).join(',');
  },
  bump() { this.setData({ n: this.data.n + 1, log: this.events.join(',') + '|refs:' + this.counters.join('+') }); }
});
