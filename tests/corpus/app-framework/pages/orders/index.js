// Framework output: the entry requires the page's module, which calls Page().
require('./index.page');
