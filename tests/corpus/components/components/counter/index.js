const mixin = {
  data: { said: '' },
  onInit() { this.$page.note('mixin.onInit:' + this.props.label); }
};
Component({
  mixins: [mixin],
  props: { step: 1, label: '?' },
  data: { count: 0, summary: '', cfg: { a: 1 } },
  options: { observers: true },
  observers: {
    'count, label': function (count, label) { this.setData({ summary: label + ':' + count }); }
  },
  onInit() { this.$page.note('onInit:' + this.props.label); },
  deriveDataFromProps(next) { this.$page.note('derive:' + next.label); },
  didMount() { this.$page.note('didMount:' + this.props.label); },
  didUpdate(prevProps, prevData) {
    // What the update did not touch keeps its identity; prevData has the old values.
    this.$page.note('didUpdate:' + this.props.label + ':' + prevData.count + (prevData.cfg === this.data.cfg && prevProps.label === this.props.label ? '=' : '~'));
  },
  didUnmount() { this.$page.note('didUnmount:' + this.props.label); },
  methods: {
    inc() {
      const count = this.data.count + this.props.step;
      this.setData({ count });
      const said = this.props.onChange(this.props.label, this.props.step);
      this.setData({ said });
    }
  }
});
