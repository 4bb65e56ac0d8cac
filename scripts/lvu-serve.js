// lvu-serve.js - start ONDC's log validation utility on loopback only.
//
//   LVU_DIR=/path/to/log-validation-utility PORT=4101 node scripts/lvu-serve.js
//
// LVU_DIR is a built copy of ONDC-Official/log-validation-utility (its
// compiled JavaScript in ui/). The utility signs its reports: a throwaway
// Ed25519 key pair is made here unless SIGN_PRIVATE_KEY / SIGN_PUBLIC_KEY
// are set (private: base64 of the 32-byte seed followed by the 32-byte
// public key; public: base64 of the 32-byte public key). It keeps an LMDB
// scratch folder, dbfiles/, in the working directory: start it from a
// temporary folder. Prints "listening 127.0.0.1:PORT" once it accepts.
'use strict';
const crypto = require('crypto');
const path = require('path');

const dir = process.env.LVU_DIR;
if (!dir) {
  console.error('lvu-serve: LVU_DIR is not set');
  process.exit(2);
}
const port = parseInt(process.env.PORT || '4101', 10);

if (!process.env.SIGN_PRIVATE_KEY || !process.env.SIGN_PUBLIC_KEY) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  // the raw keys are the last 32 bytes of their DER encodings
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  process.env.SIGN_PRIVATE_KEY = Buffer.concat([seed, pub]).toString('base64');
  process.env.SIGN_PUBLIC_KEY = pub.toString('base64');
}

const mod = require(path.join(path.resolve(dir), 'ui', 'app.js'));
const createServer = mod.default || mod.createServer;
if (typeof createServer !== 'function') {
  console.error('lvu-serve: ' + dir + '/ui/app.js has no createServer() default export');
  process.exit(2);
}
const server = createServer().listen(port, '127.0.0.1', () => {
  console.log('listening 127.0.0.1:' + port);
});
server.on('error', (e) => {
  console.error('lvu-serve: ' + e.message);
  process.exit(1);
});
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => server.close(() => process.exit(0)));
