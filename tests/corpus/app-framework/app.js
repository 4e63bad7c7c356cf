require('./runtime');
require('./common');
App({ onLaunch: function () { this.chunks = my.webpackJsonp.length; } });
