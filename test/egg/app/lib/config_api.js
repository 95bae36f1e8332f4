'use strict';
// An API client in the cluster-client style: APIClientBase wraps a cluster client of DataClient.
const { APIClientBase } = require('cluster-client');
const DataClient = require('./data_client');

class ConfigApi extends APIClientBase {
  get DataClient() {
    return DataClient;
  }

  get delegates() {
    return { getConfig: 'invoke' };
  }

  get clusterOptions() {
    // A read, safe to send again to the next agent (see lib/clients.js).
    return { name: 'ConfigApi', idempotent: [ 'getConfig' ] };
  }

  getConfig(key) {
    return this._client.getConfig(key);
  }
}

module.exports = ConfigApi;
