const shared = { step: 1 };
Component({
  mixins: [{ data: { fromMixin: 'm' }, methods: { describe() { return this.data.fromMixin; } } }],
  props: { n: 0, label: '', step: 2 },
  data: { count: 0 },
  methods: {
    bump() {
      this.setData({ count: this.data.count + this.props.step }, () => {
        this.$page.note(this.is + ':' + (typeof this.$id) + ':' + this.props.label +
          this.props.n + '=' + this.data.count + this.describe() + shared.step);
      });
    }
  }
});
