'use strict';
const createClients = require('./lib/clients');

module.exports = (agent) => createClients(agent);
