'use strict';

module.exports = (app) => {
  const { home } = app.controller;
  app.router.get('/data', home.data);
  app.router.get('/publish', home.publish);
  app.router.get('/news', home.news);
  app.router.get('/fail', home.fail);
  app.router.get('/resolve', home.resolve);
};
