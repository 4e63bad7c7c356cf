// A list that knows its items through relations (typings: options.relations).
Component({
  options: { relations: true },
  data: { count: 0, names: '', log: '' },
  relations: {
    '../li/li': {
      type: 'child',
      linked(li) { this.sync('+' + li.props.name); },
      unlinked(li) { this.sync('-' + li.props.name); }
    }
  },
  didMount() { this.sync('mounted'); },
  methods: {
    sync(what) {
      const items = this.getRelationNodes('../li/li');
      this.setData({ count: items.length, names: items.map((i) => i.props.name).join(''), log: this.data.log + what + ';' });
    }
  }
});
