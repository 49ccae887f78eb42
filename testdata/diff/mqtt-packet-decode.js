// Decodes MQTT packets with the npm package mqtt-packet, for tests/diff_decoders.rs.
// Usage: node mqtt-packet-decode.js NODE_MODULES_DIR < requests.jsonl > results.jsonl
// Each request line: {"hex": "...", "version": 3|4|5}. Each result line, in order:
// {"ok": true, "packet": {...}, "left": N} or {"ok": false, "error": "..."}
// Buffers in packets are written as {"$hex": "..."}.
'use strict'
const path = require('path')
const readline = require('readline')
const mqtt = require(path.join(process.argv[2], 'mqtt-packet'))

function plain (v) {
  if (Buffer.isBuffer(v)) return { $hex: v.toString('hex') }
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object') {
    const o = {}
    for (const k of Object.keys(v)) o[k] = plain(v[k])
    return o
  }
  return v
}

function decode (hex, version) {
  const parser = mqtt.parser({ protocolVersion: version })
  const packets = []
  let error = null
  parser.on('packet', p => packets.push(p))
  parser.on('error', e => { if (!error) error = e.message })
  let left
  try {
    left = parser.parse(Buffer.from(hex, 'hex'))
  } catch (e) {
    error = error || ('exception: ' + e.message)
  }
  if (error) return { ok: false, error }
  if (packets.length === 0) return { ok: false, error: 'incomplete', left }
  return { ok: true, packet: plain(packets[0]), left }
}

const rl = readline.createInterface({ input: process.stdin })
const out = []
rl.on('line', line => {
  if (!line.trim()) return
  const req = JSON.parse(line)
  out.push(JSON.stringify(decode(req.hex, req.version)))
})
rl.on('close', () => process.stdout.write(out.join('\n') + '\n'))
