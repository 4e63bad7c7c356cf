Component({
  options: { relations: true },
  props: { name: '' },
  data: { parent: 'none' },
  relations: {
    '../ul/ul': { type: 'parent', linked(ul) { this.setData({ parent: ul.is }); } }
  }
});
