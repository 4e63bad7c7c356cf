Component({
  props: { of: '' },
  onInit() { this.$page.note('dot.onInit:' + this.props.of); },
  didMount() { this.$page.note('dot.didMount:' + this.props.of); }
});
