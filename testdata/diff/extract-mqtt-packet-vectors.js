// Extracts the parse vectors of mqtt-packet's own test suite (test.js, MIT licence) as data:
// every buffer its tests parse, with the packet or the error message the tests expect.
// Usage: node extract-mqtt-packet-vectors.js NODE_MODULES_DIR > mqtt-packet-vectors.json
// The helpers of test.js are replaced by recorders before it runs, and `tape` is stubbed,
// so none of its tests run; only the (name, bytes, options, expected) tuples are kept.
'use strict'
const fs = require('fs')
const path = require('path')
const Module = require('module')

const dir = path.join(process.argv[2], 'mqtt-packet')
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
let src = fs.readFileSync(path.join(dir, 'test.js'), 'utf8')

const vectors = []
let skipped = 0
function plain (v) {
  if (Buffer.isBuffer(v)) return v.length > 4096 ? { $hex_len: v.length } : { $hex: v.toString('hex') }
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object') {
    const o = {}
    for (const k of Object.keys(v)) o[k] = plain(v[k])
    return o
  }
  return v
}
function version (opts) { return (opts && opts.protocolVersion) || 4 }
function rec (kind, name, buffer, opts, expected) {
  if (!Buffer.isBuffer(buffer)) return
  // The suite's multi-megabyte packets (up to 256 MB) test mqtt-packet's buffering, not
  // decoding; they are left out to keep the file small.
  if (buffer.length > 4096) { skipped++; return }
  vectors.push({ kind, name, hex: buffer.toString('hex'), version: version(opts), expected: plain(expected) })
}
global.__rec = {
  testParseGenerate: (name, object, buffer, opts) => rec('packet', name, buffer, opts, object),
  testParseOnly: (name, object, buffer, opts) => rec('packet', name, buffer, opts, object),
  testParseAndGenerate: (name, object, buffer, opts) => rec('packet', name, buffer, opts, object),
  testParseGenerateDefaults: (name, object, buffer, generated, opts) => rec('packet', name, buffer, opts, generated),
  testParseError: (expected, fixture, opts) => rec('error', expected, fixture, opts, { error: expected })
}
for (const h of Object.keys(global.__rec)) {
  src = src.replace(new RegExp('function ' + h + ' \\('), 'function __unused_' + h + ' (')
  src = `const ${h} = global.__rec.${h}\n` + src
}
// tape: a no-op, so inline tests (which build their own buffers) do not run.
const origResolve = Module._resolveFilename
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'tape') return path.join(__dirname, '__tape_stub__')
  return origResolve.call(this, request, parent, ...rest)
}
require.cache[path.join(__dirname, '__tape_stub__')] = {
  id: 'tape', filename: 'tape', loaded: true, exports: () => {}
}
const m = new Module(path.join(dir, 'test.js'), module)
m.filename = path.join(dir, 'test.js')
m.paths = Module._nodeModulePaths(dir)
m._compile(src, m.filename)

process.stdout.write(JSON.stringify({
  source: `npm mqtt-packet ${pkg.version}, test.js (MIT licence, (c) mqtt-packet contributors)`,
  extracted_by: 'testdata/diff/extract-mqtt-packet-vectors.js',
  note: 'kind "packet": parsing hex with protocolVersion must give `expected` (mqtt-packet field names); kind "error": parsing must fail with that message',
  skipped_larger_than_4096_bytes: skipped,
  vectors
}, null, 1) + '\n')
