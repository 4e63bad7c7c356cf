// Instances of plain components (no lifecycle, observer, pageEvents or
// data() function) are made by the view; their JS objects are made when
// something needs them. Nothing of that may show: each handler sees its
// instance as Alipay makes it, with the props of the latest render.
Page({
  data: { ids: [1, 2, 3], label: 'a', shown: true, log: '' },
  note(line) { this.setData({ log: this.data.log ? this.data.log + ',' + line : line }); },
  relayed(v) { this.setData({ relayed: 'relayed:' + v }); },
  relabel() { this.setData({ label: 'b' }); },
  toggle() { this.setData({ shown: !this.data.shown }); },
  // The typings' instance methods that read the tree: a deferred instance
  // found is made on the spot, with its methods and data; ref() is what
  // is found of a component that has one; a bad selector is a warning.
  select() {
    const two = this.$selectComponent('#k2');
    const all = this.$selectAllComponents('counter');
    const byClass = this.$selectAllComponents('.two, .nothing');
    const fresh = this.$selectAllComponents('fresh');
    const none = this.$selectComponent('#nothing');
    const bad = this.$selectComponent('a:hover');
    this.setData({ sel: [two.describe(), two.props.n, two.data.count, all.length, byClass.length,
      fresh.map((f) => f.fresh).join('+'), String(none), String(bad),
      two.selectOwnerComponent() === this, two.selectComposedParentComponent() === this].join(',') });
  }
});
