Component({
  props: { value: '', onPick: null },
  methods: { go() { this.props.onPick(this.props.value); } }
});
