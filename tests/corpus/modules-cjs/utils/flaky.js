// Throws the first time it loads; a later require tries again.
const state = require('./state');
state.tries += 1;
if (state.tries === 1) throw new Error('first load fails');
module.exports = 'loaded after ' + state.tries;
