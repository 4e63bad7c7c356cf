// Error page: shows query.msg as plain text (mustache output is escaped) and
// offers a way back to the menu that resets the page stack.
const DEFAULT_MESSAGE = 'Something went wrong.';

Page({
  data: {
    message: DEFAULT_MESSAGE
  },

  onLoad(query) {
    let message = DEFAULT_MESSAGE;
    if (query && typeof query.msg === 'string' && query.msg) {
      try {
        message = decodeURIComponent(query.msg);
      } catch (e) {
        message = query.msg;
      }
    }
    this.setData({ message: message.slice(0, 200) });
  },

  onHome() {
    my.reLaunch({ url: '/pages/index/index' });
  }
});
