Component({ methods: { go() { this.props.onPick(this.props.onFormat('v')); } } });
