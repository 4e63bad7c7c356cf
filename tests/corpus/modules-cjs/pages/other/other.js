// The same module instance the index page has: it ran once.
const state = require('../../utils/state');
Page({ data: { tries: state.tries } });
