'use strict';
const createClients = require('./lib/clients');

module.exports = (app) => {
  createClients(app);
  // Every worker keeps what it receives on the "news" topic, whichever worker published it.
  app.news = [];
  app.dataClient.subscribe({ topic: 'news' }, (value) => app.news.push(value));
};
