// A scriptable charger on ocpp-rpc in strict (schema-validating) mode: an OCPP
// implementation independent of the product, driven by the test suite.
//
//   node charger.js <endpoint> <identity> <subprotocol[,subprotocol...]> [password]
//   node charger.js        (warm start: loads, then waits for a first stdin line
//                           {"op":"connect","endpoint","identity","protocol","password"})
//
// Reads JSON lines on stdin, writes JSON lines on stdout:
//   {"id":1,"op":"call","action":"Heartbeat","payload":{}}    -> {"id":1,"ok":true,"result":{...}}
//                                                              or {"id":1,"ok":false,"error":{"code","message"}}
//   {"id":2,"op":"respond","action":"Reset","response":{...},"delayMs":0}
//   {"id":3,"op":"respond","action":"Reset","error":{"code":"InternalError","message":"..."}}
//   {"id":4,"op":"raw","frame":"[2,\"x\",\"Heartbeat\",{}]"}  -> sends the frame as it is
//   {"id":5,"op":"close"}
// Events: {"event":"open"}, {"event":"call","action","payload","messageId"} for every call the
// server makes (after strict validation), {"event":"rawIn","message"}, {"event":"close","code"}.
'use strict';
const readline = require('readline');
const { RPCClient, createRPCError, createValidator } = require('ocpp-rpc');

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// Sensible, schema-valid answers to every CSMS-initiated call; tests override with "respond".
const DEFAULTS = {
  'ocpp1.6': {
    CancelReservation: { status: 'Accepted' },
    CertificateSigned: { status: 'Accepted' },
    ChangeAvailability: { status: 'Accepted' },
    ChangeConfiguration: { status: 'Accepted' },
    ClearCache: { status: 'Accepted' },
    ClearChargingProfile: { status: 'Accepted' },
    DataTransfer: { status: 'Accepted' },
    DeleteCertificate: { status: 'Accepted' },
    ExtendedTriggerMessage: { status: 'Accepted' },
    GetCompositeSchedule: { status: 'Rejected' },
    GetConfiguration: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] },
    GetDiagnostics: { fileName: 'diagnostics.log' },
    GetInstalledCertificateIds: { status: 'NotFound' },
    GetLocalListVersion: { listVersion: 0 },
    GetLog: { status: 'Accepted', filename: 'security.log' },
    InstallCertificate: { status: 'Accepted' },
    RemoteStartTransaction: { status: 'Accepted' },
    RemoteStopTransaction: { status: 'Accepted' },
    ReserveNow: { status: 'Accepted' },
    Reset: { status: 'Accepted' },
    SendLocalList: { status: 'Accepted' },
    SetChargingProfile: { status: 'Accepted' },
    SignedUpdateFirmware: { status: 'Accepted' },
    TriggerMessage: { status: 'Accepted' },
    UnlockConnector: { status: 'Unlocked' },
    UpdateFirmware: {},
  },
  'ocpp2.0.1': {
    CancelReservation: { status: 'Accepted' },
    CertificateSigned: { status: 'Accepted' },
    ChangeAvailability: { status: 'Accepted' },
    ClearCache: { status: 'Accepted' },
    ClearChargingProfile: { status: 'Accepted' },
    ClearDisplayMessage: { status: 'Accepted' },
    ClearVariableMonitoring: { clearMonitoringResult: [{ status: 'Accepted', id: 1 }] },
    CostUpdated: {},
    CustomerInformation: { status: 'Accepted' },
    DataTransfer: { status: 'Accepted' },
    DeleteCertificate: { status: 'Accepted' },
    GetBaseReport: { status: 'Accepted' },
    GetChargingProfiles: { status: 'NoProfiles' },
    GetCompositeSchedule: { status: 'Rejected' },
    GetDisplayMessages: { status: 'Unknown' },
    GetInstalledCertificateIds: { status: 'NotFound' },
    GetLocalListVersion: { versionNumber: 0 },
    GetLog: { status: 'Accepted', filename: 'diagnostics.log' },
    GetMonitoringReport: { status: 'Accepted' },
    GetReport: { status: 'Accepted' },
    GetTransactionStatus: { messagesInQueue: false },
    GetVariables: {
      getVariableResult: [{
        attributeStatus: 'Accepted', attributeValue: '300',
        component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' },
      }],
    },
    InstallCertificate: { status: 'Accepted' },
    PublishFirmware: { status: 'Accepted' },
    RequestStartTransaction: { status: 'Accepted' },
    RequestStopTransaction: { status: 'Accepted' },
    ReserveNow: { status: 'Accepted' },
    Reset: { status: 'Accepted' },
    SendLocalList: { status: 'Accepted' },
    SetChargingProfile: { status: 'Accepted' },
    SetDisplayMessage: { status: 'Accepted' },
    SetMonitoringBase: { status: 'Accepted' },
    SetMonitoringLevel: { status: 'Accepted' },
    SetNetworkProfile: { status: 'Accepted' },
    SetVariableMonitoring: {
      setMonitoringResult: [{
        id: 1, status: 'Accepted', type: 'UpperThreshold', severity: 5,
        component: { name: 'EVSE', evse: { id: 1 } }, variable: { name: 'Power' },
      }],
    },
    SetVariables: {
      setVariableResult: [{
        attributeStatus: 'Accepted', component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' },
      }],
    },
    TriggerMessage: { status: 'Accepted' },
    UnlockConnector: { status: 'Unlocked' },
    UnpublishFirmware: { status: 'Unpublished' },
    UpdateFirmware: { status: 'Accepted' },
  },
};
// 2.1 answers everything 2.0.1 does alike, and the commands it adds.
DEFAULTS['ocpp2.1'] = {
  ...DEFAULTS['ocpp2.0.1'],
  AdjustPeriodicEventStream: { status: 'Accepted' },
  AFRRSignal: { status: 'Accepted' },
  ChangeTransactionTariff: { status: 'Accepted' },
  ClearDERControl: { status: 'Accepted' },
  ClearTariffs: { clearTariffsResult: [{ tariffId: 'T-1', status: 'Accepted' }] },
  GetDERControl: { status: 'Accepted' },
  GetPeriodicEventStream: {},
  GetTariffs: { status: 'Accepted', tariffAssignments: [{ tariffId: 'T-1', tariffKind: 'DefaultTariff', evseIds: [1] }] },
  NotifyAllowedEnergyTransfer: { status: 'Accepted' },
  NotifyWebPaymentStarted: {},
  RequestBatterySwap: { status: 'Accepted' },
  SetDefaultTariff: { status: 'Accepted' },
  SetDERControl: { status: 'Accepted' },
  UpdateDynamicSchedule: { status: 'Accepted' },
  UsePriorityCharging: { status: 'Accepted' },
};

// ocpp-rpc bundles OCPP 2.1's schemas (2.1 Edition 1) under ids its validator never looks up
// (urn:BootNotificationRequest where it asks for urn:BootNotification.req): the same schemas, re-keyed.
const OCPP21 = createValidator('ocpp2.1', require('ocpp-rpc/lib/schemas/ocpp2_1.json').map((schema) => ({
  ...schema, $id: schema.$id.replace(/Request$/, '.req').replace(/Response$/, '.conf'),
})));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let responders;
let client;

// `protocol` may be a list (offered in that order); the defaults follow the one the server picks.
// `tls` (for wss://): {ca, cert, key} as PEM text: the CA the server's certificate must chain to, and
// the charger's own certificate and key when it has one (security profile 3).
function open({ endpoint, identity, protocol, password, tls }) {
  responders = new Map();

  client = new RPCClient({
    endpoint,
    identity,
    protocols: Array.isArray(protocol) ? protocol : String(protocol).split(','),
    strictMode: true,
    strictModeValidators: [OCPP21],
    password: password || null,
    reconnect: false,
    callTimeoutMs: 15000,
    wsOpts: tls || {},
  });

  client.on('close', ({ code }) => { out({ event: 'close', code }); process.exit(0); });
  client.on('message', ({ message, outbound }) => { if (!outbound) out({ event: 'rawIn', message: String(message) }); });
  client.on('strictValidationFailure', ({ error, messageId, method, params }) =>
    out({ event: 'strictValidationFailure', method, messageId, code: error && error.rpcErrorCode, message: error && error.message }));

  client.handle(async ({ method, params, messageId }) => {
    out({ event: 'call', action: method, payload: params, messageId });
    const responder = responders.get(method);
    if (!responder) throw createRPCError('NotImplemented', `${method} is not handled by this test charger`);
    if (responder.delayMs) await sleep(responder.delayMs);
    if (responder.error) throw createRPCError(responder.error.code, responder.error.message || '');
    return responder.response;
  });
}

async function run(cmd) {
  switch (cmd.op) {
    case 'call':
      return client.call(cmd.action, cmd.payload);
    case 'respond':
      responders.set(cmd.action, { response: cmd.response, error: cmd.error, delayMs: cmd.delayMs || 0 });
      return {};
    case 'raw':
      client.sendRaw(cmd.frame);
      return {};
    case 'close':
      await client.close({ code: 1000 });
      return {};
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

async function main(rl, args) {
  open(args);
  try {
    await client.connect();
  } catch (err) {
    out({ event: 'refused', message: String(err && err.message) });
    process.exit(3);
  }
  for (const [action, response] of Object.entries(DEFAULTS[client.protocol] || {})) {
    if (!responders.has(action)) responders.set(action, { response });
  }
  out({ event: 'open', protocol: client.protocol });
  rl.on('line', async (line) => {
    if (!line.trim()) return;
    const cmd = JSON.parse(line);
    try {
      out({ id: cmd.id, ok: true, result: (await run(cmd)) ?? null });
    } catch (err) {
      out({ id: cmd.id, ok: false, error: { code: err.rpcErrorCode || err.code || 'Error', message: String(err.message), details: err.details || {} } });
    }
  });
  rl.on('close', () => client.close({ code: 1000 }).finally(() => process.exit(0)));
}

const rl = readline.createInterface({ input: process.stdin });
const argv = process.argv.slice(2);
if (argv.length) {
  const [endpoint, identity, protocol, password] = argv;
  main(rl, { endpoint, identity, protocol, password });
} else {
  rl.once('line', (line) => main(rl, JSON.parse(line)));
  rl.once('close', () => { if (!client) process.exit(0); });
}
