'use strict';
// Both clients, created the same way in the agent (egg makes it the leader) and in every app worker.
const DataClient = require('./data_client');
const ConfigApi = require('./config_api');

module.exports = (eggApp) => {
  eggApp.dataClient = eggApp.cluster(DataClient)
    .delegate('getConfig', 'invoke')
    .delegate('fail', 'invoke')
    .delegate('subscribe', 'subscribe')
    .delegate('publish', 'publish')
    .create({ prefix: 'v-' });
  eggApp.configApi = new ConfigApi({ cluster: eggApp.cluster, prefix: 'api-' });
  eggApp.beforeStart(async () => {
    await eggApp.dataClient.ready();
    await eggApp.configApi.ready();
  });
};
