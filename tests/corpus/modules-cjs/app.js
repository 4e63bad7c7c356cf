const config = require('./config/env');
const { format } = require('/utils/format.js');
App({
  globalData: { env: config.name, greeting: format('hi') },
  onLaunch() { this.launched = true; },
});
module.exports = { appFile: true };
