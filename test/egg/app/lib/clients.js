'use strict';
// Both clients, created the same way in the agent (egg makes it the leader) and in every app worker.
const DataClient = require('./data_client');
const ConfigApi = require('./config_api');

module.exports = (eggApp) => {
  // getConfig only reads: onelink may send it again to the next agent when the agent dies with the
  // call in flight (cluster-client would fail it with SocketCloseError; onelink, unless told, with
  // LeaderLostError, as it cannot know whether the call ran).
  eggApp.dataClient = eggApp.cluster(DataClient, { idempotent: [ 'getConfig' ] })
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
