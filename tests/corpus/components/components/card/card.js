Component({
  props: { title: 'Untitled', onTitleTap: null, items: [] },
  methods: {
    onTitle() { if (this.props.onTitleTap) this.props.onTitleTap(); }
  }
});
