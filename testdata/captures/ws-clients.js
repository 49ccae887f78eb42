// The npm `mqtt` client over WebSocket against aedes (ws-broker.js): a 3.1.1 subscriber and publisher,
// then a v5 client that aedes refuses. Every step waits for its answer; exits 1 if one does not come.
// Usage: node ws-clients.js WS_PORT
'use strict'
const mqtt = require('mqtt')
const url = `ws://127.0.0.1:${process.argv[2]}/mqtt`
const fail = (m) => { console.error('ws-clients.js: FAIL: ' + m); process.exit(1) }
setTimeout(() => fail('timeout'), 20000).unref()

const connect = (clientId, protocolVersion) => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, { clientId, protocolVersion, reconnectPeriod: 0, keepalive: 60, connectTimeout: 5000 })
  c.once('connect', () => resolve(c))
  c.once('error', (e) => { c.end(true); reject(e) })
})
const wait = (emitter, ev) => new Promise((resolve) => emitter.once(ev, (...a) => resolve(a)))

async function main () {
  const sub = await connect('ws-js-sub', 4)
  await sub.subscribeAsync('ws/js/#', { qos: 1 })
  const pub = await connect('ws-js-pub', 4)
  const got = []
  sub.on('message', (t, p) => got.push([t, p.length]))
  await pub.publishAsync('ws/js/a', 'hello over ws', { qos: 0 })
  await pub.publishAsync('ws/js/b', 'x'.repeat(300), { qos: 1 })
  for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20))
  if (got.length !== 2) fail('subscriber got ' + JSON.stringify(got))
  await new Promise((r) => setTimeout(r, 100))
  await pub.endAsync()
  await sub.endAsync()
  try {
    const v5 = await connect('ws-js-v5', 5)
    v5.end(true)
    fail('aedes accepted a v5 client')
  } catch (e) {
    console.error('ws-js-v5 refused: ' + e.message)
  }
}
main().then(() => process.exit(0), (e) => fail(e.stack))
