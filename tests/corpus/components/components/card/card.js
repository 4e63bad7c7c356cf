Component({
  props: { title: 'Untitled', onTitleTap: null },
  methods: {
    onTitle() { if (this.props.onTitleTap) this.props.onTitleTap(); }
  }
});
