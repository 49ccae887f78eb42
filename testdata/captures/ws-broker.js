// aedes (MQTT 3.1.1 broker) behind a `ws` WebSocketServer on 127.0.0.1, plus aedes on plain TCP.
// Usage: node ws-broker.js WS_PORT TCP_PORT   (exits by itself after 80 s)
'use strict'
const net = require('net')
const { WebSocketServer, createWebSocketStream } = require('ws')
const aedes = require('aedes')()

const [wsPort, tcpPort] = process.argv.slice(2).map(Number)

// user "bad" is refused with 3.1.1 return code 4 (bad user name or password); anyone else is let in
aedes.authenticate = (client, username, password, done) => {
  if (username === 'bad') {
    const err = new Error('bad user name or password')
    err.returnCode = 4
    return done(err, null)
  }
  done(null, true)
}
aedes.on('clientError', (client, err) => console.log('clientError', client && client.id, err.message))
aedes.on('connectionError', (client, err) => console.log('connectionError', client && client.id, err.message))

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: wsPort,
  handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false)
})
wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws)))

const tcp = net.createServer(aedes.handle)
let up = 0
const ready = () => { if (++up === 2) console.log(`listening ws ${wsPort} tcp ${tcpPort}`) }
wss.on('listening', ready)
tcp.listen(tcpPort, '127.0.0.1', ready)

setTimeout(() => process.exit(0), 80000).unref()
process.on('SIGTERM', () => process.exit(0))
