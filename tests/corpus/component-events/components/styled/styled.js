// externalClasses: `title-class` in the template is what the owner passes
// as `title-class`; without the option the name stays, with a warning.
Component({
  props: { id: '' },
  options: { externalClasses: true },
  externalClasses: ['title-class']
});
